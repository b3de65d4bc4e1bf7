import { Inject, Injectable } from '@nestjs/common';
import type { AppendOptions } from '@keyward/event-store';
import { newId } from '@keyward/service-runtime';
import type { TicketCommand, TicketState } from '../domain';
import { TicketRuleViolation } from '../domain';
import { assertMirrorAvailable } from '@keyward/projections';
import { newTicketReference } from './ticket-reference';
import type { DevicesMirror, TechniciansMirror, TicketStore } from './tickets.tokens';
import { DEVICES_MIRROR, TECHNICIANS_MIRROR, TICKET_STORE } from './tickets.tokens';

export interface NewTicket {
  readonly requesterName: string;
  readonly requesterEmail: string;
  readonly contact: string | null;
  readonly problemDescription: string;
  readonly deviceId: string | null;
}

/**
 * The command side of tickets: looks up what a command refers to in this service's mirrors,
 * then runs it through the AggregateStore (load, decide, append at the loaded version, update
 * the read model). Every command is scoped to the caller's account.
 */
@Injectable()
export class TicketCommands {
  constructor(
    @Inject(TICKET_STORE) private readonly store: TicketStore,
    @Inject(TECHNICIANS_MIRROR) private readonly technicians: TechniciansMirror,
    @Inject(DEVICES_MIRROR) private readonly devices: DevicesMirror,
  ) {}

  async create(accountId: string, by: string, ticket: NewTicket): Promise<TicketState> {
    const id = newId('tkt');
    let device = null;
    if (ticket.deviceId !== null) {
      assertMirrorAvailable(this.devices);
      const d = this.devices.index.find(accountId, ticket.deviceId);
      device = d ? { id: d.id, removed: d.removed } : null;
    }
    return this.run(id, accountId, { type: 'CreateTicket', data: { ...ticket, device, reference: newTicketReference(), by } });
  }

  async assign(accountId: string, id: string, technicianId: string, by: string): Promise<TicketState> {
    assertMirrorAvailable(this.technicians);
    const known = this.technicians.index.find(accountId, technicianId);
    const technician = known ? { id: known.id, active: known.active } : null;
    return this.run(id, accountId, { type: 'AssignTicket', data: { technicianId, technician, by } });
  }

  async close(accountId: string, id: string, resolution: string | null, by: string): Promise<TicketState> {
    return this.run(id, accountId, { type: 'CloseTicket', data: { by, resolution, sessionId: null } });
  }

  async run(id: string, accountId: string, command: TicketCommand, options: AppendOptions = {}): Promise<TicketState> {
    const { state } = await this.store.execute(id, accountId, command, options);
    if (state === null) throw new TicketRuleViolation('ticket_not_found', `ticket ${id} does not exist`);
    return state;
  }
}
