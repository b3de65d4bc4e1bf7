import { Controller, Get, Query } from '@nestjs/common';
import { definedFields } from '@keyward/contracts';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import { DocumentProblems } from '@keyward/service-runtime';
import { ProblemError } from '@keyward/problem';
import type { SessionPage } from '../../application/session.view';
import { SessionQueries } from '../../application/session-queries';
import { SessionHistoryQueryDto } from './session-history.dto';

/** Registered before GetSessionController, so `/history` is not taken for a session id. */
@Controller('v1/sessions')
export class SessionHistoryController {
  constructor(private readonly queries: SessionQueries) {}

  /**
   * "Get session history" (private keys only): the account's sessions, newest first, optionally
   * for one device or technician and created within [from, to] (both inclusive).
   */
  @DocumentProblems({ 422: ['invalid_date_range'] })
  @Get('history')
  @RequirePermission('sessions:history:read')
  history(@Query() query: SessionHistoryQueryDto, @Caller() caller: AuthorizedKey): Promise<SessionPage> {
    const from = query.from !== undefined ? new Date(query.from).toISOString() : undefined;
    const to = query.to !== undefined ? new Date(query.to).toISOString() : undefined;
    if (from !== undefined && to !== undefined && from > to) {
      throw new ProblemError(422, 'invalid_date_range', 'Request breaks a rule', `from (${from}) must not be after to (${to})`, { from, to });
    }
    return this.queries.history(caller.accountId, definedFields({ deviceId: query.deviceId, technicianId: query.technicianId, from, to, limit: query.limit, cursor: query.cursor }));
  }
}
