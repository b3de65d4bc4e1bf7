import type { EventEnvelope, TicketStatus } from '@keyward/contracts';
import { TICKET_EVENTS } from '@keyward/contracts';
import type { MirrorView } from '@keyward/projections';

/** What sessions keeps of a ticket (from tickets.events): enough to open a session from it. */
export interface TicketMirrorView extends MirrorView {
  readonly status: TicketStatus;
}

/**
 * Folds one ticket event into the mirror. Never throws. A `TicketClosed` for a ticket whose
 * creation was not seen is kept as a closed ticket; other events alone are not recorded.
 */
export function evolveTicketMirror(view: TicketMirrorView | undefined, event: EventEnvelope): Omit<TicketMirrorView, 'version'> | undefined {
  const e = event;
  const keep = (status: TicketStatus): Omit<TicketMirrorView, 'version'> | undefined =>
    view ? { id: view.id, accountId: view.accountId, status } : undefined;
  // Narrowed on the discriminant by the topic's registry (which read the message): no cast to its envelope.
  if (!TICKET_EVENTS.isType(e.type)) return view ? keep(view.status) : undefined;
  switch (e.type) {
    case 'TicketCreated':
      return { id: e.aggregateId, accountId: e.accountId, status: 'open' };
    case 'TicketAssigned':
      return view?.status === 'in_progress' || view?.status === 'closed' ? keep(view.status) : keep('assigned');
    case 'TicketInProgress':
      return view?.status === 'closed' ? keep('closed') : keep('in_progress');
    case 'TicketClosed':
      return { id: e.aggregateId, accountId: view?.accountId ?? e.accountId, status: 'closed' };
    default: {
      const _unknown: never = e.type;
      return view ? keep(view.status) : undefined;
    }
  }
}
