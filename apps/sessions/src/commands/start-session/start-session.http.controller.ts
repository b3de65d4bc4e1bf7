import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import { DocumentProblems } from '@keyward/service-runtime';
import { SessionCommands } from '../../application/session-commands.service';
import type { SessionView } from '../../application/session.view';
import { sessionIdPipe } from '../../http/session-id.pipe';
import { StartSessionDto } from './start-session.dto';

@Controller('v1/sessions')
export class StartSessionController {
  constructor(private readonly commands: SessionCommands) {}

  /** A technician (active, of the account) joins a waiting session: it becomes active. */
  @DocumentProblems({ 404: ['session_not_found'], 409: ['session_already_started', 'session_ended'], 422: ['unknown_technician', 'technician_deactivated'], 503: ['references_unavailable'] })
  @Post(':sessionId/start')
  @HttpCode(200)
  @RequirePermission('sessions:write')
  start(@Param('sessionId', sessionIdPipe) sessionId: string, @Body() body: StartSessionDto, @Caller() caller: AuthorizedKey): Promise<SessionView> {
    return this.commands.start(caller, sessionId, body.technicianId);
  }
}
