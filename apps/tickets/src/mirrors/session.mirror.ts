import type { EventEnvelope, SessionEventEnvelope, SessionOutcome, SessionStatus } from '@keyward/contracts';
import { SESSION_OUTCOMES } from '@keyward/contracts';
import type { MirrorView } from '@keyward/projections';

/** What tickets keeps of a session (from sessions.events): which ticket it was opened from, and how far it got. */
export interface SessionMirrorView extends MirrorView {
  readonly ticketId: string | null;
  readonly status: SessionStatus;
  readonly outcome: SessionOutcome | null;
  /** The key that ended the session: it is recorded as who closed the ticket. */
  readonly endedBy: string | null;
  /** The id of the last event applied: the cause recorded on the ticket event it leads to. */
  readonly lastEventId: string;
}

/**
 * Folds one session event into the mirror. Never throws. An event for a session whose
 * `SessionCreated` was not seen cannot say which ticket the session belongs to, so it is not
 * recorded (the projection reports the gap).
 */
export function evolveSessionMirror(view: SessionMirrorView | undefined, event: EventEnvelope): Omit<SessionMirrorView, 'version'> | undefined {
  const e = event as SessionEventEnvelope;
  switch (e.type) {
    case 'SessionCreated':
      return {
        id: e.aggregateId, accountId: e.accountId, ticketId: typeof e.data.ticketId === 'string' ? e.data.ticketId : null,
        status: 'waiting', outcome: null, endedBy: null, lastEventId: e.id,
      };
    case 'SessionStarted':
      return view ? { ...withoutVersion(view), status: view.status === 'ended' ? 'ended' : 'active', lastEventId: e.id } : undefined;
    case 'SessionEnded':
      return view
        ? {
          ...withoutVersion(view), status: 'ended', lastEventId: e.id,
          outcome: SESSION_OUTCOMES.includes(e.data.outcome) ? e.data.outcome : null,
          endedBy: typeof e.data.by === 'string' ? e.data.by : null,
        }
        : undefined;
    default: {
      const _unknown: never = e;
      return view ? withoutVersion(view) : undefined;
    }
  }
}

function withoutVersion(view: SessionMirrorView): Omit<SessionMirrorView, 'version'> {
  const { version: _version, ...rest } = view;
  return rest;
}
