import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import { DocumentProblems } from '@keyward/service-runtime';
import { SessionCommands } from '../../application/session-commands.service';
import type { SessionView } from '../../application/session.view';
import { sessionIdPipe } from '../../http/session-id.pipe';
import { EndSessionDto } from './end-session.dto';

@Controller('v1/sessions')
export class EndSessionController {
  constructor(private readonly commands: SessionCommands) {}

  /**
   * Ends the session with its outcome. Not idempotent: ending an ended session answers 409
   * `session_ended` (the first outcome stands). A session nobody started ends only as `abandoned`.
   */
  @DocumentProblems({ 404: ['session_not_found'], 409: ['session_ended', 'session_not_started'], 422: ['invalid_outcome', 'invalid_notes'] })
  @Post(':sessionId/end')
  @HttpCode(200)
  @RequirePermission('sessions:write')
  end(@Param('sessionId', sessionIdPipe) sessionId: string, @Body() body: EndSessionDto, @Caller() caller: AuthorizedKey): Promise<SessionView> {
    return this.commands.end(caller, sessionId, body.outcome, body.notes ?? null);
  }
}
