import { Inject, Injectable } from '@nestjs/common';
import { containsText, fieldIs } from '@keyward/event-store';
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
  get(accountId: string, id: string): Promise<TechnicianView> {
    return this.views.require(accountId, id, () => new TechnicianRuleViolation('technician_not_found', `technician ${id} does not exist`));
  }

  /** One page of the account's technicians, newest first (then by id, so pages never overlap). */
  list(accountId: string, query: TechnicianListQuery): Promise<TechnicianPage> {
    return this.views.accountPage(accountId, [fieldIs('status', query.status), containsText(['name', 'email'], query.q)], query);
  }
}
