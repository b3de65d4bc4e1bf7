import { Inject, Injectable } from '@nestjs/common';
import type { ExecuteOptions } from '@keyward/event-store';
import { NEW_STREAM } from '@keyward/event-store';
import type { AuthorizedKey } from '@keyward/key-auth';
import type { DevicesMirror, TechniciansMirror } from '@keyward/projections';
import { DEVICES_MIRROR, deviceRef, TECHNICIANS_MIRROR, technicianRef } from '@keyward/projections';
import { newId } from '@keyward/service-runtime';
import type { TicketCommand } from '../domain';
import { TicketRuleViolation } from '../domain';
import { newTicketReference } from './ticket-reference';
import type { TicketAggregates } from './ticket.aggregate';
import { TICKET_AGGREGATES } from './ticket.aggregate';
import type { TicketView } from './ticket.view';
import { toTicketView } from './ticket.view';

export interface NewTicket {
  readonly requesterName: string;
  readonly requesterEmail: string;
  readonly contact: string | null;
  readonly problemDescription: string;
  readonly deviceId: string | null;
}

/**
 * The command side: builds each command from the request's values and the caller, looks up
 * what it refers to in this service's mirrors, runs it against the aggregate (load, decide,
 * append at the loaded version, update the read model) and answers the ticket as it now is.
 * Every command is scoped to the caller's account.
 */
@Injectable()
export class TicketCommands {
  constructor(
    @Inject(TICKET_AGGREGATES) private readonly aggregates: TicketAggregates,
    @Inject(TECHNICIANS_MIRROR) private readonly technicians: TechniciansMirror,
    @Inject(DEVICES_MIRROR) private readonly devices: DevicesMirror,
  ) {}

  async create(caller: AuthorizedKey, ticket: NewTicket): Promise<TicketView> {
    const device = deviceRef(this.devices, caller.accountId, ticket.deviceId);
    return this.run(newId('tkt'), caller.accountId, { type: 'CreateTicket', data: { ...ticket, device, reference: newTicketReference(), by: caller.keyId } }, NEW_STREAM);
  }

  async assign(caller: AuthorizedKey, id: string, technicianId: string): Promise<TicketView> {
    const technician = technicianRef(this.technicians, caller.accountId, technicianId);
    return this.run(id, caller.accountId, { type: 'AssignTicket', data: { technicianId, technician, by: caller.keyId } });
  }

  /** Idempotent: a closed ticket is answered as it is (the first resolution kept). */
  close(caller: AuthorizedKey, id: string, resolution: string | null): Promise<TicketView> {
    return this.run(id, caller.accountId, { type: 'CloseTicket', data: { by: caller.keyId, resolution, sessionId: null } });
  }

  /** Also what the session-ticket process manager runs its commands through (with their causation). */
  async run(id: string, accountId: string, command: TicketCommand, options: ExecuteOptions = {}): Promise<TicketView> {
    const { state } = await this.aggregates.execute(id, accountId, command, options);
    const view = toTicketView(id, state);
    if (!view) throw new TicketRuleViolation('ticket_not_found', `ticket ${id} does not exist`);
    return view;
  }
}
