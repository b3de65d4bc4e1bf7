import type { EventEnvelope, SessionOutcome, SessionStatus } from '@keyward/contracts';
import { SESSION_EVENTS, SESSION_OUTCOMES } from '@keyward/contracts';
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
  const e = event;
  // Narrowed on the discriminant by the topic's registry (which read the message): no cast to its envelope.
  if (!SESSION_EVENTS.isType(e.type)) return view ? withoutVersion(view) : undefined;
  switch (e.type) {
    case 'SessionCreated':
      return {
        id: e.aggregateId, accountId: e.accountId, ticketId: textField(e.data, 'ticketId'),
        status: 'waiting', outcome: null, endedBy: null, lastEventId: e.id,
      };
    case 'SessionStarted':
      return view ? { ...withoutVersion(view), status: view.status === 'ended' ? 'ended' : 'active', lastEventId: e.id } : undefined;
    case 'SessionEnded':
      return view
        ? {
          ...withoutVersion(view), status: 'ended', lastEventId: e.id,
          outcome: SESSION_OUTCOMES.find((o) => o === textField(e.data, 'outcome')) ?? null,
          endedBy: textField(e.data, 'by'),
        }
        : undefined;
    default: {
      const _unknown: never = e.type;
      return view ? withoutVersion(view) : undefined;
    }
  }
}

function withoutVersion(view: SessionMirrorView): Omit<SessionMirrorView, 'version'> {
  const { version: _version, ...rest } = view;
  return rest;
}

/** A text field of an event's data, or null: the mirror reads only what it needs and never throws on it. */
function textField(data: unknown, name: string): string | null {
  if (typeof data !== 'object' || data === null || !(name in data)) return null;
  const value: unknown = Reflect.get(data, name);
  return typeof value === 'string' ? value : null;
}
