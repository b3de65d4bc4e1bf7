import { Controller, Get, Param } from '@nestjs/common';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import { DocumentProblems } from '@keyward/service-runtime';
import { TicketQueries } from '../../application/ticket-queries';
import type { TicketView } from '../../application/ticket.view';
import { ticketIdPipe } from '../../http/ticket-id.pipe';

@Controller('v1/tickets')
export class GetTicketController {
  constructor(private readonly queries: TicketQueries) {}

  /** One ticket of the caller's account; another account's ticket answers 404 like a missing one. */
  @DocumentProblems({ 404: ['ticket_not_found'] })
  @Get(':ticketId')
  @RequirePermission('tickets:read')
  get(@Param('ticketId', ticketIdPipe) ticketId: string, @Caller() caller: AuthorizedKey): Promise<TicketView> {
    return this.queries.get(caller.accountId, ticketId);
  }
}
