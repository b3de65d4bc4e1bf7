import { Inject, Injectable } from '@nestjs/common';
import { fieldIs, fieldWithin } from '@keyward/event-store';
import { SessionRuleViolation } from '../domain';
import type { SessionViews } from './session.aggregate';
import { SESSION_VIEWS } from './session.aggregate';
import type { SessionPage, SessionView } from './session.view';

export interface SessionHistoryQuery {
  readonly deviceId?: string;
  readonly technicianId?: string;
  /** Inclusive bounds on `createdAt`, as ISO-8601 UTC. */
  readonly from?: string;
  readonly to?: string;
  readonly limit?: number;
  readonly cursor?: string;
}

/** The read side: answers from the read model only, always within the caller's account. */
@Injectable()
export class SessionQueries {
  constructor(@Inject(SESSION_VIEWS) private readonly views: SessionViews) {}

  /** Ended sessions are still answered, with status `ended`. */
  get(accountId: string, id: string): Promise<SessionView> {
    return this.views.require(accountId, id, () => new SessionRuleViolation('session_not_found', `session ${id} does not exist`));
  }

  /** One page of the account's sessions, newest first (then by id, so pages never overlap). */
  history(accountId: string, query: SessionHistoryQuery): Promise<SessionPage> {
    return this.views.accountPage(accountId, [
      fieldIs('deviceId', query.deviceId),
      fieldIs('technicianId', query.technicianId),
      fieldWithin('createdAt', query.from, query.to),
    ], query);
  }
}
