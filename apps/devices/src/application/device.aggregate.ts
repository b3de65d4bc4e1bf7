import type { Provider } from '@nestjs/common';
import type { DeviceEventEnvelope } from '@keyward/contracts';
import { DEVICE_EVENTS } from '@keyward/contracts';
import type { AggregateStore, MongoViewStore } from '@keyward/event-store';
import { accountAggregate, aggregateProviders } from '@keyward/event-store';
import type { DeviceAggregate, DeviceCommand } from '../domain';
import { decide, evolve, initialState } from '../domain';
import type { DeviceView } from './device.view';
import { toDeviceView } from './device.view';

export const DEVICE_AGGREGATES = Symbol('DeviceAggregates');
export const DEVICE_VIEWS = Symbol('DeviceViews');

/** The read model's collection, and the operator name of its projection (`/admin/projections/devices`). */
export const DEVICE_VIEWS_NAME = 'devices';

export type DeviceAggregates = AggregateStore<DeviceAggregate, DeviceCommand, DeviceEventEnvelope>;
export type DeviceViews = MongoViewStore<DeviceView>;

export const deviceDefinition = accountAggregate<DeviceAggregate, DeviceCommand, DeviceEventEnvelope>('Device', DEVICE_EVENTS, { initialState, evolve, decide });

export function deviceProviders(): Provider[] {
  return aggregateProviders({
    definition: deviceDefinition,
    storeToken: DEVICE_AGGREGATES,
    viewsToken: DEVICE_VIEWS,
    views: DEVICE_VIEWS_NAME,
    toView: toDeviceView,
    indexes: [
      // Listing, newest first, removed devices usually left out.
      { accountId: 1, status: 1, createdAt: -1, _id: -1 },
      { accountId: 1, tags: 1 },
      { accountId: 1, ownerTechnicianId: 1 },
    ],
  });
}
