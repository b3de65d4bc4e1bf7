import type { TechnicianEvent } from '@keyward/contracts';
import type { DeactivateTechnician, RegisterTechnician, TechnicianCommand, UpdateTechnician } from './technician.commands';
import type { TechnicianAggregate, TechnicianState } from './technician.state';
import { normaliseEmail, normaliseName, normaliseReason } from './technician.rules';
import { TechnicianRuleViolation } from './technician-rule-violation';

/**
 * Decides what a command means for a technician: the events to record (`[]` when it changes
 * nothing) or a TechnicianRuleViolation. Pure; `now` is unused today but part of the contract.
 */
export function decide(command: TechnicianCommand, state: TechnicianAggregate, _now: Date): TechnicianEvent[] {
  if (command.type === 'RegisterTechnician') return register(command, state);
  if (state === null) throw new TechnicianRuleViolation('technician_not_found', 'no such technician');
  switch (command.type) {
    case 'UpdateTechnician':
      return update(command, state);
    case 'DeactivateTechnician':
      return deactivate(command, state);
    default: {
      const unknown: never = command;
      throw new Error(`unhandled technician command ${(unknown as { type: string }).type}`);
    }
  }
}

function refuseTakenEmail(email: string, holder: string | null, self?: string): void {
  if (holder !== null && holder !== self) {
    throw new TechnicianRuleViolation('technician_email_taken', `another active technician of the account already has the email ${email}`, {
      email, technicianId: holder,
    });
  }
}

function register(command: RegisterTechnician, state: TechnicianAggregate): TechnicianEvent[] {
  if (state !== null) throw new TechnicianRuleViolation('technician_exists', `technician ${state.id} already exists`);
  const c = command.data;
  const name = normaliseName(c.name);
  const email = normaliseEmail(c.email);
  refuseTakenEmail(email, c.emailHolder);
  return [{ type: 'TechnicianRegistered', schemaVersion: 1, data: { name, email, by: c.by } }];
}

function update(command: UpdateTechnician, state: TechnicianState): TechnicianEvent[] {
  const c = command.data;
  if (c.name === undefined && c.email === undefined) {
    throw new TechnicianRuleViolation('nothing_to_update', 'give at least one of name and email');
  }
  if (state.status === 'deactivated') {
    throw new TechnicianRuleViolation('technician_deactivated', `technician ${state.id} is deactivated and cannot be changed`);
  }
  const name = c.name !== undefined ? normaliseName(c.name) : undefined;
  const email = c.email !== undefined ? normaliseEmail(c.email) : undefined;
  const nameChanged = name !== undefined && name !== state.name;
  const emailChanged = email !== undefined && email !== state.email;
  if (emailChanged) refuseTakenEmail(email, c.emailHolder, state.id);
  if (!nameChanged && !emailChanged) return [];
  return [{
    type: 'TechnicianUpdated',
    schemaVersion: 1,
    data: { ...(nameChanged ? { name } : {}), ...(emailChanged ? { email } : {}), by: c.by },
  }];
}

function deactivate(command: DeactivateTechnician, state: TechnicianState): TechnicianEvent[] {
  const reason = normaliseReason(command.data.reason);
  if (state.status === 'deactivated') return [];
  return [{ type: 'TechnicianDeactivated', schemaVersion: 1, data: reason === undefined ? { by: command.data.by } : { by: command.data.by, reason } }];
}
