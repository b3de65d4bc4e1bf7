import { Inject, Injectable } from '@nestjs/common';
import type { TicketStatus } from '@keyward/contracts';
import { fieldIs } from '@keyward/event-store';
import { TicketRuleViolation } from '../domain';
import type { TicketViews } from './ticket.aggregate';
import { TICKET_VIEWS } from './ticket.aggregate';
import type { TicketPage, TicketView } from './ticket.view';

export interface TicketListQuery {
  readonly status?: TicketStatus;
  readonly technicianId?: string;
  /** The short reference the requester was given (`TKT-7K3Q9P`). */
  readonly reference?: string;
  readonly limit?: number;
  readonly cursor?: string;
}

/** The read side: answers from the read model only, always within the caller's account. */
@Injectable()
export class TicketQueries {
  constructor(@Inject(TICKET_VIEWS) private readonly views: TicketViews) {}

  /** Closed tickets are still answered, with status `closed`. */
  get(accountId: string, id: string): Promise<TicketView> {
    return this.views.require(accountId, id, () => new TicketRuleViolation('ticket_not_found', `ticket ${id} does not exist`));
  }

  /** One page of the account's tickets, newest first (then by id, so pages never overlap). */
  list(accountId: string, query: TicketListQuery): Promise<TicketPage> {
    return this.views.accountPage(accountId, [
      fieldIs('status', query.status),
      fieldIs('technicianId', query.technicianId),
      fieldIs('reference', query.reference),
    ], query);
  }
}
