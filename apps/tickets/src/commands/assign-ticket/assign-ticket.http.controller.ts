import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import { DocumentProblems } from '@keyward/service-runtime';
import { TicketCommands } from '../../application/ticket-commands.service';
import type { TicketView } from '../../application/ticket.view';
import { ticketIdPipe } from '../../http/ticket-id.pipe';
import { AssignTicketDto } from './assign-ticket.dto';

@Controller('v1/tickets')
export class AssignTicketController {
  constructor(private readonly commands: TicketCommands) {}

  /**
   * Assigns (or reassigns) the ticket to an active technician of the account, as tickets'
   * technicians mirror knows them. Assigning the technician it already has changes nothing.
   */
  @DocumentProblems({ 404: ['ticket_not_found'], 409: ['ticket_closed'], 422: ['unknown_technician', 'technician_deactivated'], 503: ['references_unavailable'] })
  @Post(':ticketId/assign')
  @HttpCode(200)
  @RequirePermission('tickets:write')
  assign(@Param('ticketId', ticketIdPipe) ticketId: string, @Body() body: AssignTicketDto, @Caller() caller: AuthorizedKey): Promise<TicketView> {
    return this.commands.assign(caller, ticketId, body.technicianId);
  }
}
