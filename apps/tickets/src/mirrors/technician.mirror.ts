import type { EventEnvelope, TechnicianEventEnvelope } from '@keyward/contracts';
import type { MirrorView } from '@keyward/projections';

/** What tickets keeps of a technician (from technicians.events): enough to check an assignment. */
export interface TechnicianMirrorView extends MirrorView {
  readonly active: boolean;
}

/**
 * Folds one technician event into the mirror. Never throws (a throw would stall the consumer on
 * that message). An event for a technician whose registration was not seen:
 * - `TechnicianDeactivated` is kept as an inactive technician, so the deactivation is not lost
 *   and an assignment to it is refused as `technician_deactivated`;
 * - `TechnicianUpdated` says nothing about whether it is active, so it is not recorded and the
 *   technician stays unknown (`unknown_technician`).
 */
export function evolveTechnicianMirror(view: TechnicianMirrorView | undefined, event: EventEnvelope): Omit<TechnicianMirrorView, 'version'> | undefined {
  const e = event as TechnicianEventEnvelope;
  switch (e.type) {
    case 'TechnicianRegistered':
      return { id: e.aggregateId, accountId: e.accountId, active: true };
    case 'TechnicianUpdated':
      return view ? { id: view.id, accountId: view.accountId, active: view.active } : undefined;
    case 'TechnicianDeactivated':
      return { id: e.aggregateId, accountId: view?.accountId ?? e.accountId, active: false };
    default: {
      const _unknown: never = e;
      return view ? { id: view.id, accountId: view.accountId, active: view.active } : undefined;
    }
  }
}
