import { Inject, Injectable } from '@nestjs/common';
import type { ViewFilter } from '@keyward/event-store';
import { containsText } from '@keyward/event-store';
import { DEFAULT_PAGE_SIZE } from '@keyward/service-runtime';
import type { TechnicianStatus } from '../domain';
import { TechnicianRuleViolation } from '../domain';
import type { TechnicianViews } from './technician.aggregate';
import { TECHNICIAN_VIEWS } from './technician.aggregate';
import type { TechnicianPage, TechnicianView } from './technician.view';

export interface TechnicianListQuery {
  readonly status?: TechnicianStatus;
  /** A case-insensitive substring of the name or the email. */
  readonly q?: string;
  readonly limit?: number;
  readonly cursor?: string;
}

/** The read side: answers from the read model only, always within the caller's account. */
@Injectable()
export class TechnicianQueries {
  constructor(@Inject(TECHNICIAN_VIEWS) private readonly views: TechnicianViews) {}

  /** Deactivated technicians are still answered, with status `deactivated`. */
  async get(accountId: string, id: string): Promise<TechnicianView> {
    const view = await this.views.get(accountId, id);
    if (!view) throw new TechnicianRuleViolation('technician_not_found', `technician ${id} does not exist`);
    return view;
  }

  /** One page of the account's technicians, newest first (then by id, so pages never overlap). */
  list(accountId: string, query: TechnicianListQuery): Promise<TechnicianPage> {
    const and: ViewFilter[] = [{ accountId }];
    if (query.status !== undefined) and.push({ status: query.status });
    const text = containsText(['name', 'email'], query.q);
    if (text) and.push(text);
    return this.views.page({ $and: and }, query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
  }
}
