import { Controller, Get, Query } from '@nestjs/common';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import type { TicketPage } from '../../application/ticket.view';
import { TicketQueries } from '../../application/ticket-queries';
import { ListTicketsQueryDto } from './list-tickets.dto';

@Controller('v1/tickets')
export class ListTicketsController {
  constructor(private readonly queries: TicketQueries) {}

  /** The account's tickets, newest first, filtered by status, technician or reference; `limit` (1-100, default 20) a page. */
  @Get()
  @RequirePermission('tickets:read')
  list(@Query() query: ListTicketsQueryDto, @Caller() caller: AuthorizedKey): Promise<TicketPage> {
    return this.queries.list(caller.accountId, query);
  }
}
