import type { EventEnvelope } from '../events/event-envelope';

/** Events of the Device aggregate, on `devices.events`, schemaVersion 1. Ids: `dev_…`. */
export interface DeviceEventDataByType {
  DeviceRegistered: {
    readonly name: string;
    readonly os: string;
    readonly hostname: string;
    readonly tags: readonly string[];
    readonly ownerTechnicianId: string | null;
    readonly by: string;
  };
  /** Only the fields that changed. */
  DeviceUpdated: {
    readonly name?: string;
    readonly os?: string;
    readonly hostname?: string;
    readonly tags?: readonly string[];
    readonly ownerTechnicianId?: string | null;
    readonly by: string;
  };
  DeviceRemoved: { readonly by: string };
}

export type DeviceEventType = keyof DeviceEventDataByType;
export const DEVICE_EVENT_TYPES: readonly DeviceEventType[] = ['DeviceRegistered', 'DeviceUpdated', 'DeviceRemoved'];
export type DeviceEvent = { [T in DeviceEventType]: { readonly type: T; readonly schemaVersion: 1; readonly data: DeviceEventDataByType[T] } }[DeviceEventType];
export type DeviceEventEnvelope = { [T in DeviceEventType]: EventEnvelope<T, DeviceEventDataByType[T]> }[DeviceEventType];
