import type { EntityMirror, IndexedProjection, TechnicianMirrorView } from '@keyward/projections';

/** The technicians a device's owner is checked against (from technicians.events), as tickets and sessions keep them. */
export const TECHNICIANS_MIRROR = Symbol('TechniciansMirror');
export type TechniciansMirror = IndexedProjection<TechnicianMirrorView, EntityMirror<TechnicianMirrorView>>;
