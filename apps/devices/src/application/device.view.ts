import type { Page } from '@keyward/event-store';
import type { DeviceAggregate, DeviceStatus } from '../domain';

/**
 * A device as the API shows it, and as the read model (`devices` collection) keeps it: the same
 * object, so a view read back is answered as is. Instants are ISO-8601 UTC strings.
 */
export interface DeviceView {
  readonly id: string;
  readonly accountId: string;
  readonly name: string;
  readonly os: string;
  readonly hostname: string;
  readonly tags: readonly string[];
  /** Shape-checked only: the technician is not known to exist (see DeviceCommand). */
  readonly ownerTechnicianId: string | null;
  readonly status: DeviceStatus;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly removedAt: string | null;
  readonly version: number;
}

/** One page of a list, newest first. */
export type DevicePage = Page<DeviceView>;

/** Every field explicit (no undefined), so a view folded again on replay equals the stored one. */
export function toDeviceView(_id: string, state: DeviceAggregate): DeviceView | undefined {
  if (state === null) return undefined;
  return {
    id: state.id,
    accountId: state.accountId,
    name: state.name,
    os: state.os,
    hostname: state.hostname,
    tags: [...state.tags],
    ownerTechnicianId: state.ownerTechnicianId,
    status: state.status,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
    removedAt: state.removedAt,
    version: state.version,
  };
}
