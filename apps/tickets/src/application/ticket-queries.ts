import { Inject, Injectable } from '@nestjs/common';
import type { TicketStatus } from '@keyward/contracts';
import type { ViewFilter } from '@keyward/event-store';
import { DEFAULT_PAGE_SIZE } from '@keyward/service-runtime';
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
  async get(accountId: string, id: string): Promise<TicketView> {
    const view = await this.views.get(accountId, id);
    if (!view) throw new TicketRuleViolation('ticket_not_found', `ticket ${id} does not exist`);
    return view;
  }

  /** One page of the account's tickets, newest first (then by id, so pages never overlap). */
  list(accountId: string, query: TicketListQuery): Promise<TicketPage> {
    const and: ViewFilter[] = [{ accountId }];
    if (query.status !== undefined) and.push({ status: query.status });
    if (query.technicianId !== undefined) and.push({ technicianId: query.technicianId });
    if (query.reference !== undefined) and.push({ reference: query.reference });
    return this.views.page({ $and: and }, query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
  }
}
