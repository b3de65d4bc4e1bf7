import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import { DocumentProblems } from '@keyward/service-runtime';
import { TicketCommands } from '../../application/ticket-commands.service';
import type { TicketView } from '../../application/ticket-view';
import { toTicketView } from '../../application/ticket-view';
import { ticketIdPipe } from '../../http/ticket-id.pipe';
import { AssignTicketDto } from './assign-ticket.dto';

@Controller('v1/tickets/:ticketId')
export class AssignTicketController {
  constructor(private readonly commands: TicketCommands) {}

  /**
   * Assigns (or reassigns) the ticket to an active technician of the account, as tickets'
   * technicians mirror knows them. Assigning the technician it already has changes nothing.
   */
  @DocumentProblems({ 404: ['ticket_not_found'], 409: ['ticket_closed'], 422: ['unknown_technician', 'technician_deactivated'], 503: ['references_unavailable'] })
  @Post('assign')
  @HttpCode(200)
  @RequirePermission('tickets:write')
  async assign(@Param('ticketId', ticketIdPipe) ticketId: string, @Body() body: AssignTicketDto, @Caller() caller: AuthorizedKey): Promise<TicketView> {
    const state = await this.commands.assign(caller.accountId, ticketId, body.technicianId, caller.keyId);
    const view = toTicketView(ticketId, state);
    if (!view) throw new Error('an assigned ticket has no view');
    return view;
  }
}
