import type { Provider } from '@nestjs/common';
import { SERVICES, TECHNICIAN_EVENTS } from '@keyward/contracts';
import type { EntityMirror, IndexedProjection, TechnicianMirrorView } from '@keyward/projections';
import { EntityMirror as Mirror, evolveTechnicianMirror, indexedProjectionProvider } from '@keyward/projections';

/** The technicians a device's owner is checked against (from technicians.events), as tickets and sessions keep them. */
export const TECHNICIANS_MIRROR = Symbol('TechniciansMirror');
export type TechniciansMirror = IndexedProjection<TechnicianMirrorView, EntityMirror<TechnicianMirrorView>>;

export function techniciansMirrorProvider(): Provider {
  return indexedProjectionProvider(TECHNICIANS_MIRROR, {
    name: 'technicians',
    topic: SERVICES.technicians.topic,
    createIndex: () => new Mirror<TechnicianMirrorView>(evolveTechnicianMirror),
    events: TECHNICIAN_EVENTS,
  });
}
