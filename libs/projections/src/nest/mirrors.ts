import type { DynamicModule, Provider, Type } from '@nestjs/common';
import { Controller } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import type { DeviceEventEnvelope, DeviceEventType, TechnicianEventEnvelope, TechnicianEventType } from '@keyward/contracts';
import { DEVICE_EVENTS, SERVICES, TECHNICIAN_EVENTS } from '@keyward/contracts';
import type { MirrorEvolve, MirrorView } from '../entity-mirror';
import { EntityMirror } from '../entity-mirror';
import type { DeviceMirrorView } from '../mirrors/device.mirror';
import { evolveDeviceMirror } from '../mirrors/device.mirror';
import type { TechnicianMirrorView } from '../mirrors/technician.mirror';
import { evolveTechnicianMirror } from '../mirrors/technician.mirror';
import type { IndexedProjectionSpec } from './indexed-projection.provider';
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

/**
 * The tokens a service injects these mirrors by (with `TechniciansMirror`, `DevicesMirror`): one
 * each, beside the mirrors, since a mirror of another service's entity is the same in every
 * service that reads it.
 */
export const TECHNICIANS_MIRROR = Symbol('TechniciansMirror');
export const DEVICES_MIRROR = Symbol('DevicesMirror');

/** A mirror of one topic's entities, for `mirrorsModule`: the shared ones below, and a service's own (sessions' tickets, tickets' sessions). */
export interface EntityMirrorSpec<V extends MirrorView> {
  readonly token: symbol;
  /** The operator name of its projection (`/admin/projections/<name>`), unique in the service. */
  readonly name: string;
  /** The contract's topic name (`SERVICES.tickets.topic`). */
  readonly topic: string;
  /** The topic's event registry from libs/contracts (`TICKET_EVENTS`). */
  readonly events: IndexedProjectionSpec<V, EntityMirror<V>>['events'];
  readonly evolve: MirrorEvolve<V>;
  /** Whose `@EventPattern` handlers name the event types the mirror follows. */
  readonly controller: Type<unknown>;
}

export function entityMirror<V extends MirrorView>(spec: EntityMirrorSpec<V>): MirrorDefinition {
  return {
    token: spec.token,
    controller: spec.controller,
    provider: indexedProjectionProvider(spec.token, {
      name: spec.name,
      topic: spec.topic,
      createIndex: () => new EntityMirror<V>(spec.evolve),
      events: spec.events,
    }),
  };
}

/** The technicians mirror, the same in every service that has one (`technicians`, from technicians.events). */
export function techniciansMirror(): MirrorDefinition {
  return entityMirror<TechnicianMirrorView>({
    token: TECHNICIANS_MIRROR, name: 'technicians', topic: SERVICES.technicians.topic, events: TECHNICIAN_EVENTS,
    evolve: evolveTechnicianMirror, controller: TechnicianEventsController,
  });
}

/** The devices mirror, the same in every service that has one (`devices`, from devices.events). */
export function devicesMirror(): MirrorDefinition {
  return entityMirror<DeviceMirrorView>({
    token: DEVICES_MIRROR, name: 'devices', topic: SERVICES.devices.topic, events: DEVICE_EVENTS,
    evolve: evolveDeviceMirror, controller: DeviceEventsController,
  });
}
