import { Inject, Injectable } from '@nestjs/common';
import { newId } from '@keyward/service-runtime';
import type { SessionCommand, SessionState } from '../domain';
import { SessionRuleViolation } from '../domain';
import { newJoinCode } from './join-code';
import { assertMirrorAvailable } from '@keyward/projections';
import type { DevicesMirror, SessionStore, SessionViews, TechniciansMirror, TicketsMirror } from './sessions.tokens';
import { DEVICES_MIRROR, SESSION_STORE, SESSION_VIEWS, TECHNICIANS_MIRROR, TICKETS_MIRROR } from './sessions.tokens';

const JOIN_CODE_ATTEMPTS = 5;

/**
 * The command side of sessions: looks up what a command refers to in this service's mirrors
 * (technicians, devices, tickets; each learned from its owner's topic, so eventually
 * consistent: an entity created a moment ago elsewhere may be unknown here for a moment), then
 * runs it through the AggregateStore. Every command is scoped to the caller's account.
 */
@Injectable()
export class SessionCommands {
  constructor(
    @Inject(SESSION_STORE) private readonly store: SessionStore,
    @Inject(SESSION_VIEWS) private readonly views: SessionViews,
    @Inject(TECHNICIANS_MIRROR) private readonly technicians: TechniciansMirror,
    @Inject(DEVICES_MIRROR) private readonly devices: DevicesMirror,
    @Inject(TICKETS_MIRROR) private readonly tickets: TicketsMirror,
  ) {}

  async create(accountId: string, by: string, refs: { deviceId: string | null; ticketId: string | null }): Promise<SessionState> {
    let device = null;
    if (refs.deviceId !== null) {
      assertMirrorAvailable(this.devices);
      const d = this.devices.index.find(accountId, refs.deviceId);
      device = d ? { id: d.id, removed: d.removed } : null;
    }
    let ticket = null;
    if (refs.ticketId !== null) {
      assertMirrorAvailable(this.tickets);
      const t = this.tickets.index.find(accountId, refs.ticketId);
      ticket = t ? { id: t.id, status: t.status } : null;
    }
    const code = await this.freeJoinCode(accountId);
    return this.run(newId('ses'), accountId, { type: 'CreateSession', data: { code, deviceId: refs.deviceId, device, ticketId: refs.ticketId, ticket, by } });
  }

  async start(accountId: string, id: string, technicianId: string, by: string): Promise<SessionState> {
    assertMirrorAvailable(this.technicians);
    const t = this.technicians.index.find(accountId, technicianId);
    const technician = t ? { id: t.id, active: t.active } : null;
    return this.run(id, accountId, { type: 'StartSession', data: { technicianId, technician, by } });
  }

  async end(accountId: string, id: string, outcome: string, notes: string | null, by: string): Promise<SessionState> {
    return this.run(id, accountId, { type: 'EndSession', data: { outcome, notes, by } });
  }

  private async run(id: string, accountId: string, command: SessionCommand): Promise<SessionState> {
    const { state } = await this.store.execute(id, accountId, command);
    if (state === null) throw new SessionRuleViolation('session_not_found', `session ${id} does not exist`);
    return state;
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
