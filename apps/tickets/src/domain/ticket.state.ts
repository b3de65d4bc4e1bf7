import type { Actor, TicketEventEnvelope, TicketStatus } from '@keyward/contracts';
import { assertStreamStart, assertStreamStarted, unhandledEvent } from '@keyward/contracts';

/** The Ticket aggregate as folded from its events. `null` until `TicketCreated`. */
export interface TicketState {
  readonly id: string;
  readonly accountId: string;
  readonly reference: string;
  readonly requesterName: string;
  readonly requesterEmail: string;
  readonly contact: string | null;
  readonly problemDescription: string;
  readonly deviceId: string | null;
  readonly status: TicketStatus;
  readonly technicianId: string | null;
  /** The session opened from the ticket (the first one), or the one whose end closed it. */
  readonly sessionId: string | null;
  readonly resolution: string | null;
  readonly createdBy: Actor;
  /** ISO-8601 UTC, from the events' `occurredAt`. */
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly closedAt: string | null;
  /** Number of events applied. */
  readonly version: number;
}

export type TicketAggregate = TicketState | null;

export function initialState(): TicketAggregate {
  return null;
}

/**
 * Applies one stored event. A stream that breaks the aggregate's own rules (an event before
 * `TicketCreated`, a second `TicketCreated`) is corrupt, so it throws rather than guessing.
 */
export function evolve(state: TicketAggregate, event: TicketEventEnvelope): TicketState {
  if (event.type === 'TicketCreated') {
    assertStreamStart(state, event, 'ticket');
    const d = event.data;
    return {
      id: event.aggregateId,
      accountId: event.accountId,
      reference: d.reference,
      requesterName: d.requesterName,
      requesterEmail: d.requesterEmail,
      contact: d.contact,
      problemDescription: d.problemDescription,
      deviceId: d.deviceId,
      status: 'open',
      technicianId: null,
      sessionId: null,
      resolution: null,
      createdBy: d.by,
      createdAt: event.occurredAt,
      updatedAt: event.occurredAt,
      closedAt: null,
      version: 1,
    };
  }
  assertStreamStarted(state, event, 'ticket');
  const base = { ...state, updatedAt: event.occurredAt, version: state.version + 1 };
  switch (event.type) {
    case 'TicketAssigned':
      // Reassigning a ticket a session is already working on keeps it in progress.
      return { ...base, technicianId: event.data.technicianId, status: state.status === 'in_progress' ? 'in_progress' : 'assigned' };
    case 'TicketInProgress':
      return { ...base, status: 'in_progress', sessionId: event.data.sessionId };
    case 'TicketClosed':
      return {
        ...base,
        status: 'closed',
        resolution: event.data.resolution,
        sessionId: event.data.sessionId ?? state.sessionId,
        closedAt: event.occurredAt,
      };
    default:
      return unhandledEvent('ticket', event);
  }
}
