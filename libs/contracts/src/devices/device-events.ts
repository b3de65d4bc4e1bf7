import type { DomainEventOf, EnvelopeOf } from '../events/event-map';

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
export type DeviceEvent = DomainEventOf<DeviceEventDataByType>;
export type DeviceEventEnvelope = EnvelopeOf<DeviceEventDataByType>;
