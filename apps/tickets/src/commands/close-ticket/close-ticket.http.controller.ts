import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import { DocumentProblems } from '@keyward/service-runtime';
import { TicketCommands } from '../../application/ticket-commands.service';
import type { TicketView } from '../../application/ticket.view';
import { ticketIdPipe } from '../../http/ticket-id.pipe';
import { CloseTicketDto } from './close-ticket.dto';

@Controller('v1/tickets')
export class CloseTicketController {
  constructor(private readonly commands: TicketCommands) {}

  /** Closes the ticket. Idempotent: closing a closed ticket answers it as it is (first resolution kept). */
  @DocumentProblems({ 404: ['ticket_not_found'], 422: ['invalid_resolution'] })
  @Post(':ticketId/close')
  @HttpCode(200)
  @RequirePermission('tickets:write')
  close(@Param('ticketId', ticketIdPipe) ticketId: string, @Body() body: CloseTicketDto, @Caller() caller: AuthorizedKey): Promise<TicketView> {
    return this.commands.close(caller, ticketId, body.resolution ?? null);
  }
}
