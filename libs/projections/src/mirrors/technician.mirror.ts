import type { EventEnvelope } from '@keyward/contracts';
import { TECHNICIAN_EVENTS } from '@keyward/contracts';
import type { MirrorView } from '../entity-mirror';

/** What another service keeps of a technician (from technicians.events): enough to check a reference to one. */
export interface TechnicianMirrorView extends MirrorView {
  readonly active: boolean;
}

/**
 * Folds one technician event into the mirror. Never throws (a throw would stall the consumer on
 * that message). For a technician whose registration was not seen, a `TechnicianDeactivated` is
 * kept as an inactive technician (the deactivation must not be lost: a reference to it is refused
 * as `technician_deactivated`); a `TechnicianUpdated` is not recorded (it does not say whether the
 * technician is active), so the technician stays unknown.
 */
export function evolveTechnicianMirror(view: TechnicianMirrorView | undefined, event: EventEnvelope): Omit<TechnicianMirrorView, 'version'> | undefined {
  // Narrowed on the discriminant by the topic's registry (which read the message): no cast to its envelope.
  const e = event;
  if (!TECHNICIAN_EVENTS.isType(e.type)) return view ? { id: view.id, accountId: view.accountId, active: view.active } : undefined;
  switch (e.type) {
    case 'TechnicianRegistered':
      return { id: e.aggregateId, accountId: e.accountId, active: true };
    case 'TechnicianUpdated':
      return view ? { id: view.id, accountId: view.accountId, active: view.active } : undefined;
    case 'TechnicianDeactivated':
      return { id: e.aggregateId, accountId: view?.accountId ?? e.accountId, active: false };
    default: {
      const _unknown: never = e.type;
      return view ? { id: view.id, accountId: view.accountId, active: view.active } : undefined;
    }
  }
}
