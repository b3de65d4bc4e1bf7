import type { DomainEventOf, EnvelopeOf } from '../events/event-map';

/** Events of the Ticket aggregate (a deferred support request), on `tickets.events`. Ids: `tkt_…`. */
export type TicketStatus = 'open' | 'assigned' | 'in_progress' | 'closed';

export interface TicketEventDataByType {
  TicketCreated: {
    /** Short human reference given to the requester (`TKT-7K3Q9P`). */
    readonly reference: string;
    readonly requesterName: string;
    readonly requesterEmail: string;
    readonly contact: string | null;
    readonly problemDescription: string;
    readonly deviceId: string | null;
    /** The key that created it (often a public key in a client app). */
    readonly by: string;
  };
  TicketAssigned: { readonly technicianId: string; readonly by: string };
  /** A support session was opened from the ticket. */
  TicketInProgress: { readonly sessionId: string };
  TicketClosed: { readonly by: string; readonly resolution: string | null; readonly sessionId: string | null };
}

export type TicketEventType = keyof TicketEventDataByType;
export type TicketEvent = DomainEventOf<TicketEventDataByType>;
export type TicketEventEnvelope = EnvelopeOf<TicketEventDataByType>;
