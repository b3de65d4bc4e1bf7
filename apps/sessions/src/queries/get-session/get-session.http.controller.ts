import { Controller, Get, Param } from '@nestjs/common';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import { DocumentProblems } from '@keyward/service-runtime';
import { SessionQueries } from '../../application/session-queries';
import type { SessionView } from '../../application/session.view';
import { sessionIdPipe } from '../../http/session-id.pipe';

@Controller('v1/sessions')
export class GetSessionController {
  constructor(private readonly queries: SessionQueries) {}

  /** One session of the caller's account; another account's session answers 404 like a missing one. */
  @DocumentProblems({ 404: ['session_not_found'] })
  @Get(':sessionId')
  @RequirePermission('sessions:read')
  get(@Param('sessionId', sessionIdPipe) sessionId: string, @Caller() caller: AuthorizedKey): Promise<SessionView> {
    return this.queries.get(caller.accountId, sessionId);
  }
}
