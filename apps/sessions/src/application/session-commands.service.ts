import { Inject, Injectable } from '@nestjs/common';
import type { ExecuteOptions } from '@keyward/event-store';
import { NEW_STREAM } from '@keyward/event-store';
import type { AuthorizedKey } from '@keyward/key-auth';
import type { DevicesMirror, TechniciansMirror } from '@keyward/projections';
import { DEVICES_MIRROR, deviceRef, referenceIn, TECHNICIANS_MIRROR, technicianRef } from '@keyward/projections';
import { newId } from '@keyward/service-runtime';
import type { SessionCommand } from '../domain';
import { SessionRuleViolation } from '../domain';
import { newJoinCode } from './join-code';
import type { SessionAggregates, SessionViews, TicketsMirror } from './session.aggregate';
import { SESSION_AGGREGATES, SESSION_VIEWS, TICKETS_MIRROR } from './session.aggregate';
import type { SessionView } from './session.view';
import { toSessionView } from './session.view';

const JOIN_CODE_ATTEMPTS = 5;

/**
 * The command side: builds each command from the request's values and the caller, looks up
 * what it refers to in this service's mirrors (technicians, devices, tickets; each learned from
 * its owner's topic, so eventually consistent: an entity created a moment ago elsewhere may be
 * unknown here for a moment), runs it against the aggregate (load, decide, append at the loaded
 * version, update the read model) and answers the session as it now is. Every command is scoped
 * to the caller's account.
 */
@Injectable()
export class SessionCommands {
  constructor(
    @Inject(SESSION_AGGREGATES) private readonly aggregates: SessionAggregates,
    @Inject(SESSION_VIEWS) private readonly views: SessionViews,
    @Inject(TECHNICIANS_MIRROR) private readonly technicians: TechniciansMirror,
    @Inject(DEVICES_MIRROR) private readonly devices: DevicesMirror,
    @Inject(TICKETS_MIRROR) private readonly tickets: TicketsMirror,
  ) {}

  async create(caller: AuthorizedKey, refs: { readonly deviceId: string | null; readonly ticketId: string | null }): Promise<SessionView> {
    const device = deviceRef(this.devices, caller.accountId, refs.deviceId);
    const ticket = referenceIn(this.tickets, caller.accountId, refs.ticketId, (t) => ({ id: t.id, status: t.status }));
    const code = await this.freeJoinCode(caller.accountId);
    return this.run(newId('ses'), caller.accountId, { type: 'CreateSession', data: { code, deviceId: refs.deviceId, device, ticketId: refs.ticketId, ticket, by: caller.keyId } }, NEW_STREAM);
  }

  async start(caller: AuthorizedKey, id: string, technicianId: string): Promise<SessionView> {
    const technician = technicianRef(this.technicians, caller.accountId, technicianId);
    return this.run(id, caller.accountId, { type: 'StartSession', data: { technicianId, technician, by: caller.keyId } });
  }

  end(caller: AuthorizedKey, id: string, outcome: string, notes: string | null): Promise<SessionView> {
    return this.run(id, caller.accountId, { type: 'EndSession', data: { outcome, notes, by: caller.keyId } });
  }

  private async run(id: string, accountId: string, command: SessionCommand, options: ExecuteOptions = {}): Promise<SessionView> {
    const { state } = await this.aggregates.execute(id, accountId, command, options);
    const view = toSessionView(id, state);
    if (!view) throw new SessionRuleViolation('session_not_found', `session ${id} does not exist`);
    return view;
  }

  /**
   * A join code no other open session of the account uses, as far as the read model shows: a
   * technician joins by code, so two open sessions should not share one. Best effort (two
   * creates at the same instant could still pick the same code, one in a million); the session
   * id, not the code, identifies a session.
   */
  private async freeJoinCode(accountId: string): Promise<string> {
    let code = newJoinCode();
    for (let attempt = 1; attempt < JOIN_CODE_ATTEMPTS; attempt++) {
      const taken = await this.views.find({ accountId, code, status: { $ne: 'ended' } }, { _id: 1 }, 1);
      if (taken.length === 0) return code;
      code = newJoinCode();
    }
    return code;
  }
}
