import type { DomainEventOf, EnvelopeOf } from '../events/event-map';

/** Events of the Session aggregate (a remote-support session), on `sessions.events`. Ids: `ses_…`. */
export type SessionStatus = 'waiting' | 'active' | 'ended';
export type SessionOutcome = 'resolved' | 'unresolved' | 'abandoned';
export const SESSION_OUTCOMES: readonly SessionOutcome[] = ['resolved', 'unresolved', 'abandoned'];

export interface SessionEventDataByType {
  SessionCreated: {
    /** The code the end user gives the technician to join (`482-913`). */
    readonly code: string;
    readonly deviceId: string | null;
    readonly ticketId: string | null;
    readonly by: string;
  };
  SessionStarted: { readonly technicianId: string; readonly by: string };
  SessionEnded: { readonly outcome: SessionOutcome; readonly notes: string | null; readonly by: string };
}

export type SessionEventType = keyof SessionEventDataByType;
export type SessionEvent = DomainEventOf<SessionEventDataByType>;
export type SessionEventEnvelope = EnvelopeOf<SessionEventDataByType>;
