import { Inject, Injectable } from '@nestjs/common';
import type { ViewFilter } from '@keyward/event-store';
import { containsText } from '@keyward/event-store';
import { DEFAULT_PAGE_SIZE } from '@keyward/service-runtime';
import type { DeviceOs } from '../domain';
import { DeviceRuleViolation } from '../domain';
import type { DeviceViews } from './device.aggregate';
import { DEVICE_VIEWS } from './device.aggregate';
import type { DevicePage, DeviceView } from './device.view';

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

/** The read side: answers from the read model only, always within the caller's account. */
@Injectable()
export class DeviceQueries {
  constructor(@Inject(DEVICE_VIEWS) private readonly views: DeviceViews) {}

  /** Removed devices are still answered, with status `removed`. */
  async get(accountId: string, id: string): Promise<DeviceView> {
    const view = await this.views.get(accountId, id);
    if (!view) throw new DeviceRuleViolation('device_not_found', `device ${id} does not exist`);
    return view;
  }

  /** One page of the account's devices, newest first (then by id, so pages never overlap). */
  list(accountId: string, query: DeviceListQuery): Promise<DevicePage> {
    const and: ViewFilter[] = [{ accountId }];
    if (query.includeRemoved !== true) and.push({ status: 'active' });
    if (query.os !== undefined) and.push({ os: query.os });
    if (query.tag !== undefined) and.push({ tags: query.tag.trim().toLowerCase() });
    if (query.ownerTechnicianId !== undefined) and.push({ ownerTechnicianId: query.ownerTechnicianId });
    const text = containsText(['name', 'hostname'], query.q);
    if (text) and.push(text);
    return this.views.page({ $and: and }, query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
  }
}
