import { Inject, Injectable } from '@nestjs/common';
import type { ViewFilter } from '@keyward/event-store';
import { ProblemError } from '@keyward/problem';
import type { DeviceOs } from '../domain';
import type { DeviceViews } from './device.aggregate';
import { DEVICE_VIEWS } from './device.aggregate';
import type { DevicePage, DeviceView } from './device.view';

export const DEFAULT_PAGE_SIZE = 20;

export interface DeviceListQuery {
  readonly os?: DeviceOs;
  /** Devices carrying this tag (compared in lower case). */
  readonly tag?: string;
  readonly ownerTechnicianId?: string;
  /** A case-insensitive substring of the name or the hostname. */
  readonly q?: string;
  /** Removed devices are left out unless this is true. */
  readonly includeRemoved?: boolean;
  readonly limit?: number;
  readonly cursor?: string;
}

export function deviceNotFound(id: string): ProblemError {
  return new ProblemError(404, 'device_not_found', 'Device not found', `device ${id} does not exist`);
}

/** Regex metacharacters escaped: `q` is matched as literal text. */
export function literalPattern(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The read side: answers from the read model only, always within the caller's account. */
@Injectable()
export class DeviceQueries {
  constructor(@Inject(DEVICE_VIEWS) private readonly views: DeviceViews) {}

  /** Removed devices are still answered, with status `removed`. */
  async get(accountId: string, id: string): Promise<DeviceView> {
    const view = await this.views.get(accountId, id);
    if (!view) throw deviceNotFound(id);
    return view;
  }

  /** One page of the account's devices, newest first (then by id, so pages never overlap). */
  async list(accountId: string, query: DeviceListQuery): Promise<DevicePage> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const and: ViewFilter[] = [{ accountId }];
    if (query.includeRemoved !== true) and.push({ status: 'active' });
    if (query.os !== undefined) and.push({ os: query.os });
    if (query.tag !== undefined) and.push({ tags: query.tag.trim().toLowerCase() });
    if (query.ownerTechnicianId !== undefined) and.push({ ownerTechnicianId: query.ownerTechnicianId });
    const q = query.q?.trim();
    if (q) {
      const pattern = { $regex: literalPattern(q), $options: 'i' };
      and.push({ $or: [{ name: pattern }, { hostname: pattern }] });
    }
    return this.views.page({ $and: and }, limit, query.cursor);
  }
}
