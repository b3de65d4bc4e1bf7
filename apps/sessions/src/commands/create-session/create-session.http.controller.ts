import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import { DocumentProblems } from '@keyward/service-runtime';
import { SessionCommands } from '../../application/session-commands.service';
import type { PublicSessionView, SessionView } from '../../application/session.view';
import { viewFor } from '../../http/caller-view';
import { CreateSessionDto } from './create-session.dto';

@Controller('v1/sessions')
export class CreateSessionController {
  constructor(private readonly commands: SessionCommands) {}

  /**
   * Opens a support session (waiting for a technician) and answers its join code: the one
   * session route a public key may call. A public caller gets back only `{ id, code, status }`.
   * The device and the ticket, when given, must be known to this service (from their topics),
   * in the caller's account, and not removed / closed.
   */
  @DocumentProblems({ 422: ['unknown_device', 'device_removed', 'unknown_ticket', 'ticket_closed'], 503: ['references_unavailable'] })
  @Post()
  @HttpCode(201)
  @RequirePermission('sessions:create')
  async create(@Body() body: CreateSessionDto, @Caller() caller: AuthorizedKey): Promise<SessionView | PublicSessionView> {
    return viewFor(caller, await this.commands.create(caller, { deviceId: body.deviceId ?? null, ticketId: body.ticketId ?? null }));
  }
}
