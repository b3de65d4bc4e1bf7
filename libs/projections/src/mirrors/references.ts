import type { DeviceRef, TechnicianRef } from '@keyward/contracts';
import type { EntityMirror, MirrorView } from '../entity-mirror';
import type { IndexedProjection } from '../indexed-projection';
import { assertMirrorAvailable } from '../mirror-availability';
import type { DeviceMirrorView } from './device.mirror';
import type { TechnicianMirrorView } from './technician.mirror';

/** A mirror of another service's entities as a service injects it: the projection and its index. */
export type MirrorProjection<V extends MirrorView> = IndexedProjection<V, EntityMirror<V>>;
export type TechniciansMirror = MirrorProjection<TechnicianMirrorView>;
export type DevicesMirror = MirrorProjection<DeviceMirrorView>;

/** What a reference is looked up through: a mirror's readiness and its index (a MirrorProjection). */
export interface MirrorLookup<V extends MirrorView> {
  available(): { ok: true } | { ok: false; reason: string };
  readonly index: Pick<EntityMirror<V>, 'find'>;
}

/**
 * The entity `id` of the caller's account as the mirror has it, in the shape a command carries
 * (`as`), or null when the mirror does not know it there (or no id was given: nothing to look up,
 * whatever the mirror's state). Until the mirror has caught up with its topic, "unknown" could
 * mean "not read yet": 503 `references_unavailable` instead.
 */
export function referenceIn<V extends MirrorView, R>(mirror: MirrorLookup<V>, accountId: string, id: string | null, as: (view: V) => R): R | null {
  if (id === null) return null;
  assertMirrorAvailable(mirror);
  const known = mirror.index.find(accountId, id);
  return known ? as(known) : null;
}

/** A technician reference, checked against the technicians mirror (sessions, tickets, devices). */
export function technicianRef(technicians: MirrorLookup<TechnicianMirrorView>, accountId: string, id: string | null): TechnicianRef | null {
  return referenceIn(technicians, accountId, id, (t) => ({ id: t.id, active: t.active }));
}

/** A device reference, checked against the devices mirror (sessions, tickets). */
export function deviceRef(devices: MirrorLookup<DeviceMirrorView>, accountId: string, id: string | null): DeviceRef | null {
  return referenceIn(devices, accountId, id, (d) => ({ id: d.id, removed: d.removed }));
}
