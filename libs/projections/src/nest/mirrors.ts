import type { DynamicModule, Provider, Type } from '@nestjs/common';
import { Controller } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import type { DeviceEventEnvelope, DeviceEventType, TechnicianEventEnvelope, TechnicianEventType } from '@keyward/contracts';
import { DEVICE_EVENTS, SERVICES, TECHNICIAN_EVENTS } from '@keyward/contracts';
import { EntityMirror } from '../entity-mirror';
import type { DeviceMirrorView } from '../mirrors/device.mirror';
import { evolveDeviceMirror } from '../mirrors/device.mirror';
import type { TechnicianMirrorView } from '../mirrors/technician.mirror';
import { evolveTechnicianMirror } from '../mirrors/technician.mirror';
import { indexedProjectionProvider } from './indexed-projection.provider';

/** What applying an event to a mirror did (EntityMirror.apply). */
export type MirrorApplyResult = ReturnType<EntityMirror<never>['apply']>;

/**
 * One mirror of another service's entities: the projection (under `token`) and the controller
 * whose `@EventPattern` handlers apply that service's events to it.
 */
export interface MirrorDefinition {
  readonly token: symbol;
  readonly provider: Provider;
  readonly controller: Type<unknown>;
}

/** A service's mirrors as one Nest module: their projections (exported by token) and their event handlers. */
export function mirrorsModule(module: Type<unknown>, mirrors: readonly MirrorDefinition[]): DynamicModule {
  return {
    module,
    controllers: mirrors.map((m) => m.controller),
    providers: mirrors.map((m) => m.provider),
    exports: mirrors.map((m) => m.token),
  };
}

/** How a service that refers to technicians (sessions, tickets, devices) follows them: every technicians.events event. */
@Controller()
export class TechnicianEventsController {
  @EventPattern(['TechnicianRegistered', 'TechnicianUpdated', 'TechnicianDeactivated'] satisfies TechnicianEventType[])
  technicianChanged(event: TechnicianEventEnvelope, technicians: EntityMirror<TechnicianMirrorView>): MirrorApplyResult {
    return technicians.apply(event);
  }
}

/** How a service that refers to devices (sessions, tickets) follows them: every devices.events event. */
@Controller()
export class DeviceEventsController {
  @EventPattern(['DeviceRegistered', 'DeviceUpdated', 'DeviceRemoved'] satisfies DeviceEventType[])
  deviceChanged(event: DeviceEventEnvelope, devices: EntityMirror<DeviceMirrorView>): MirrorApplyResult {
    return devices.apply(event);
  }
}

/** The technicians mirror, the same in every service that has one (`technicians`, from technicians.events). */
export function techniciansMirror(token: symbol): MirrorDefinition {
  return {
    token,
    controller: TechnicianEventsController,
    provider: indexedProjectionProvider(token, {
      name: 'technicians',
      topic: SERVICES.technicians.topic,
      createIndex: () => new EntityMirror<TechnicianMirrorView>(evolveTechnicianMirror),
      events: TECHNICIAN_EVENTS,
    }),
  };
}

/** The devices mirror, the same in every service that has one (`devices`, from devices.events). */
export function devicesMirror(token: symbol): MirrorDefinition {
  return {
    token,
    controller: DeviceEventsController,
    provider: indexedProjectionProvider(token, {
      name: 'devices',
      topic: SERVICES.devices.topic,
      createIndex: () => new EntityMirror<DeviceMirrorView>(evolveDeviceMirror),
      events: DEVICE_EVENTS,
    }),
  };
}
