import type { EventEnvelope } from '@keyward/contracts';
import { DEVICE_EVENTS } from '@keyward/contracts';
import type { MirrorView } from '../entity-mirror';

/** What another service keeps of a device (from devices.events): enough to check a reference to one. */
export interface DeviceMirrorView extends MirrorView {
  readonly removed: boolean;
}

/**
 * Folds one device event into the mirror. Never throws. A `DeviceRemoved` for a device whose
 * registration was not seen is kept as a removed device; a `DeviceUpdated` alone is not recorded.
 */
export function evolveDeviceMirror(view: DeviceMirrorView | undefined, event: EventEnvelope): Omit<DeviceMirrorView, 'version'> | undefined {
  // Narrowed on the discriminant by the topic's registry (which read the message): no cast to its envelope.
  const e = event;
  if (!DEVICE_EVENTS.isType(e.type)) return view ? { id: view.id, accountId: view.accountId, removed: view.removed } : undefined;
  switch (e.type) {
    case 'DeviceRegistered':
      return { id: e.aggregateId, accountId: e.accountId, removed: false };
    case 'DeviceUpdated':
      return view ? { id: view.id, accountId: view.accountId, removed: view.removed } : undefined;
    case 'DeviceRemoved':
      return { id: e.aggregateId, accountId: view?.accountId ?? e.accountId, removed: true };
    default: {
      const _unknown: never = e.type;
      return view ? { id: view.id, accountId: view.accountId, removed: view.removed } : undefined;
    }
  }
}
