import { Inject, Injectable } from '@nestjs/common';
import type { ViewFilter } from '@keyward/event-store';
import { DEFAULT_PAGE_SIZE } from '@keyward/service-runtime';
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
  async get(accountId: string, id: string): Promise<SessionView> {
    const view = await this.views.get(accountId, id);
    if (!view) throw new SessionRuleViolation('session_not_found', `session ${id} does not exist`);
    return view;
  }

  /** One page of the account's sessions, newest first (then by id, so pages never overlap). */
  history(accountId: string, query: SessionHistoryQuery): Promise<SessionPage> {
    const and: ViewFilter[] = [{ accountId }];
    if (query.deviceId !== undefined) and.push({ deviceId: query.deviceId });
    if (query.technicianId !== undefined) and.push({ technicianId: query.technicianId });
    if (query.from !== undefined || query.to !== undefined) {
      and.push({ createdAt: { ...(query.from !== undefined ? { $gte: query.from } : {}), ...(query.to !== undefined ? { $lte: query.to } : {}) } });
    }
    return this.views.page({ $and: and }, query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
  }
}
