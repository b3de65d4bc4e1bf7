import { Inject, Injectable } from '@nestjs/common';
import type { ViewFilter } from '@keyward/event-store';
import { SessionRuleViolation } from '../domain';
import type { SessionView } from './session-view';
import type { SessionViews } from './sessions.tokens';
import { SESSION_VIEWS } from './sessions.tokens';

export interface SessionPage {
  readonly items: SessionView[];
  /** Pass as `cursor` for the next page; null on the last page. */
  readonly nextCursor: string | null;
}

export interface HistoryFilter {
  readonly deviceId?: string;
  readonly technicianId?: string;
  /** Inclusive bounds on `createdAt`, as ISO-8601 UTC. */
  readonly from?: string;
  readonly to?: string;
  readonly limit?: number;
  readonly cursor?: string;
}

/** The read side: the account's sessions from the read model. */
@Injectable()
export class SessionQueries {
  constructor(@Inject(SESSION_VIEWS) private readonly views: SessionViews) {}

  async get(accountId: string, id: string): Promise<SessionView> {
    const view = await this.views.get(accountId, id);
    if (!view) throw new SessionRuleViolation('session_not_found', `session ${id} does not exist`);
    return view;
  }

  /** The account's sessions, newest first. */
  async history(accountId: string, q: HistoryFilter): Promise<SessionPage> {
    const limit = q.limit ?? 20;
    const filter: ViewFilter = { accountId };
    if (q.deviceId !== undefined) filter['deviceId'] = q.deviceId;
    if (q.technicianId !== undefined) filter['technicianId'] = q.technicianId;
    if (q.from !== undefined || q.to !== undefined) {
      filter['createdAt'] = { ...(q.from !== undefined ? { $gte: q.from } : {}), ...(q.to !== undefined ? { $lte: q.to } : {}) };
    }
    return this.views.page(filter, limit, q.cursor);
  }
}
