import { Inject, Injectable } from '@nestjs/common';
import { containsText, fieldIs } from '@keyward/event-store';
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
  get(accountId: string, id: string): Promise<DeviceView> {
    return this.views.require(accountId, id, () => new DeviceRuleViolation('device_not_found', `device ${id} does not exist`));
  }

  /** One page of the account's devices, newest first (then by id, so pages never overlap). */
  list(accountId: string, query: DeviceListQuery): Promise<DevicePage> {
    return this.views.accountPage(accountId, [
      query.includeRemoved === true ? undefined : { status: 'active' },
      fieldIs('os', query.os),
      fieldIs('tags', query.tag?.trim().toLowerCase()),
      fieldIs('ownerTechnicianId', query.ownerTechnicianId),
      containsText(['name', 'hostname'], query.q),
    ], query);
  }
}
