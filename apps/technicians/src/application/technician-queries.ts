import { Inject, Injectable } from '@nestjs/common';
import type { ViewFilter } from '@keyward/event-store';
import { ProblemError } from '@keyward/problem';
import type { TechnicianStatus } from '../domain';
import type { TechnicianViews } from './technician.aggregate';
import { TECHNICIAN_VIEWS } from './technician.aggregate';
import type { TechnicianPage, TechnicianView } from './technician.view';

export const DEFAULT_PAGE_SIZE = 20;

export interface TechnicianListQuery {
  readonly status?: TechnicianStatus;
  /** A case-insensitive substring of the name or the email. */
  readonly q?: string;
  readonly limit?: number;
  readonly cursor?: string;
}

export function technicianNotFound(id: string): ProblemError {
  return new ProblemError(404, 'technician_not_found', 'Technician not found', `technician ${id} does not exist`);
}

/** Regex metacharacters escaped: `q` is matched as literal text. */
export function literalPattern(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The read side: answers from the read model only, always within the caller's account. */
@Injectable()
export class TechnicianQueries {
  constructor(@Inject(TECHNICIAN_VIEWS) private readonly views: TechnicianViews) {}

  async get(accountId: string, id: string): Promise<TechnicianView> {
    const view = await this.views.get(accountId, id);
    if (!view) throw technicianNotFound(id);
    return view;
  }

  /** One page of the account's technicians, newest first (then by id, so pages never overlap). */
  async list(accountId: string, query: TechnicianListQuery): Promise<TechnicianPage> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const and: ViewFilter[] = [{ accountId }];
    if (query.status !== undefined) and.push({ status: query.status });
    const q = query.q?.trim();
    if (q) {
      const pattern = { $regex: literalPattern(q), $options: 'i' };
      and.push({ $or: [{ name: pattern }, { email: pattern }] });
    }
    return this.views.page({ $and: and }, limit, query.cursor);
  }
}
