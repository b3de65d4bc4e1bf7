import type { Actor, SessionEventEnvelope, SessionOutcome, SessionStatus } from '@keyward/contracts';
import { assertStreamStart, assertStreamStarted, unhandledEvent } from '@keyward/contracts';

/** The Session aggregate as folded from its events. `null` until `SessionCreated`. */
export interface SessionState {
  readonly id: string;
  readonly accountId: string;
  readonly code: string;
  readonly deviceId: string | null;
  readonly ticketId: string | null;
  readonly technicianId: string | null;
  readonly status: SessionStatus;
  readonly outcome: SessionOutcome | null;
  readonly notes: string | null;
  readonly createdBy: Actor;
  /** ISO-8601 UTC, from the events' `occurredAt`. */
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly endedAt: string | null;
  readonly version: number;
}

export type SessionAggregate = SessionState | null;

export function initialState(): SessionAggregate {
  return null;
}

/** Applies one stored event; a stream that breaks the aggregate's own rules is corrupt, so it throws. */
export function evolve(state: SessionAggregate, event: SessionEventEnvelope): SessionState {
  if (event.type === 'SessionCreated') {
    assertStreamStart(state, event, 'session');
    return {
      id: event.aggregateId,
      accountId: event.accountId,
      code: event.data.code,
      deviceId: event.data.deviceId,
      ticketId: event.data.ticketId,
      technicianId: null,
      status: 'waiting',
      outcome: null,
      notes: null,
      createdBy: event.data.by,
      createdAt: event.occurredAt,
      startedAt: null,
      endedAt: null,
      version: 1,
    };
  }
  assertStreamStarted(state, event, 'session');
  const version = state.version + 1;
  switch (event.type) {
    case 'SessionStarted':
      return { ...state, status: 'active', technicianId: event.data.technicianId, startedAt: event.occurredAt, version };
    case 'SessionEnded':
      return { ...state, status: 'ended', outcome: event.data.outcome, notes: event.data.notes, endedAt: event.occurredAt, version };
    default:
      return unhandledEvent('session', event);
  }
}
