import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import { DocumentProblems } from '@keyward/service-runtime';
import { TicketCommands } from '../../application/ticket-commands.service';
import type { PublicTicketView, TicketView } from '../../application/ticket.view';
import { viewFor } from '../../http/caller-view';
import { CreateTicketDto } from './create-ticket.dto';

@Controller('v1/tickets')
export class CreateTicketController {
  constructor(private readonly commands: TicketCommands) {}

  /**
   * Creates a deferred support request: the one ticket route a public key may call. A public
   * caller gets back only `{ id, reference, status }`; a private caller the whole ticket.
   */
  @DocumentProblems({ 409: ['ticket_exists'], 422: ['invalid_requester_name', 'invalid_requester_email', 'invalid_contact', 'invalid_problem_description', 'invalid_device_id', 'unknown_device', 'device_removed'], 503: ['references_unavailable'] })
  @Post()
  @HttpCode(201)
  @RequirePermission('tickets:create')
  async create(@Body() body: CreateTicketDto, @Caller() caller: AuthorizedKey): Promise<TicketView | PublicTicketView> {
    const view = await this.commands.create(caller, {
      requesterName: body.requesterName,
      requesterEmail: body.requesterEmail,
      contact: body.contact ?? null,
      problemDescription: body.problemDescription,
      deviceId: body.deviceId ?? null,
    });
    return viewFor(caller, view);
  }
}
