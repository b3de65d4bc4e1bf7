import type { DeviceEventEnvelope } from '@keyward/contracts';
import { assertStreamStart, assertStreamStarted, definedFields, unhandledEvent } from '@keyward/contracts';

export type DeviceStatus = 'active' | 'removed';

/** The Device aggregate as folded from its events; `null` until `DeviceRegistered`. */
export interface DeviceState {
  readonly id: string;
  readonly accountId: string;
  readonly name: string;
  /** One of DEVICE_OS_VALUES when written; kept as recorded (the event contract says string). */
  readonly os: string;
  /** Lower-case, without a trailing dot. */
  readonly hostname: string;
  /** Lower-case, sorted, without duplicates. */
  readonly tags: readonly string[];
  readonly ownerTechnicianId: string | null;
  readonly status: DeviceStatus;
  /** ISO-8601 UTC instants, from the events' `occurredAt`. */
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly removedAt: string | null;
  /** The version of the last event applied. */
  readonly version: number;
}

export type DeviceAggregate = DeviceState | null;

export function initialState(): DeviceAggregate {
  return null;
}

/**
 * Applies one stored event. A stream that breaks the aggregate's own rules (an event before
 * `DeviceRegistered`, a second one) is corrupt, so it throws rather than guessing.
 */
export function evolve(state: DeviceAggregate, event: DeviceEventEnvelope): DeviceState {
  if (event.type === 'DeviceRegistered') {
    assertStreamStart(state, event, 'device');
    const d = event.data;
    return {
      id: event.aggregateId,
      accountId: event.accountId,
      name: d.name,
      os: d.os,
      hostname: d.hostname,
      tags: [...d.tags],
      ownerTechnicianId: d.ownerTechnicianId,
      status: 'active',
      createdAt: event.occurredAt,
      updatedAt: event.occurredAt,
      removedAt: null,
      version: event.version,
    };
  }
  assertStreamStarted(state, event, 'device', 'registered');
  switch (event.type) {
    case 'DeviceUpdated': {
      const d = event.data;
      return {
        ...state,
        ...definedFields({ name: d.name, os: d.os, hostname: d.hostname, tags: d.tags && [...d.tags], ownerTechnicianId: d.ownerTechnicianId }),
        updatedAt: event.occurredAt,
        version: event.version,
      };
    }
    case 'DeviceRemoved':
      return { ...state, status: 'removed', removedAt: event.occurredAt, updatedAt: event.occurredAt, version: event.version };
    default:
      return unhandledEvent('device', event);
  }
}
