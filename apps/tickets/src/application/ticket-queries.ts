import { Inject, Injectable } from '@nestjs/common';
import type { TicketStatus } from '@keyward/contracts';
import type { ViewFilter } from '@keyward/event-store';
import { TicketRuleViolation } from '../domain';
import type { TicketView } from './ticket-view';
import type { TicketViews } from './tickets.tokens';
import { TICKET_VIEWS } from './tickets.tokens';

export interface TicketPage {
  readonly items: TicketView[];
  /** Pass as `cursor` for the next page; null on the last page. */
  readonly nextCursor: string | null;
}

export interface TicketFilter {
  readonly status?: TicketStatus;
  readonly technicianId?: string;
  readonly reference?: string;
  readonly limit?: number;
  readonly cursor?: string;
}

/** The read side: the account's tickets from the read model, newest first. */
@Injectable()
export class TicketQueries {
  constructor(@Inject(TICKET_VIEWS) private readonly views: TicketViews) {}

  async get(accountId: string, id: string): Promise<TicketView> {
    const view = await this.views.get(accountId, id);
    if (!view) throw new TicketRuleViolation('ticket_not_found', `ticket ${id} does not exist`);
    return view;
  }

  async list(accountId: string, q: TicketFilter): Promise<TicketPage> {
    const limit = q.limit ?? 20;
    const filter: ViewFilter = { accountId };
    if (q.status !== undefined) filter['status'] = q.status;
    if (q.technicianId !== undefined) filter['technicianId'] = q.technicianId;
    if (q.reference !== undefined) filter['reference'] = q.reference;
    return this.views.page(filter, limit, q.cursor);
  }
}
