import type { Provider } from '@nestjs/common';
import type { SessionEventEnvelope } from '@keyward/contracts';
import { SESSION_EVENTS } from '@keyward/contracts';
import type { AggregateStore, MongoViewStore } from '@keyward/event-store';
import { accountAggregate, aggregateProviders } from '@keyward/event-store';
import type { MirrorProjection } from '@keyward/projections';
import type { SessionAggregate, SessionCommand } from '../domain';
import { decide, evolve, initialState } from '../domain';
import type { TicketMirrorView } from '../mirrors/ticket.mirror';
import type { SessionView } from './session.view';
import { toSessionView } from './session.view';

export const SESSION_AGGREGATES = Symbol('SessionAggregates');
export const SESSION_VIEWS = Symbol('SessionViews');
/**
 * The tickets a session may be opened from, from tickets.events (provided by mirrors/): sessions'
 * own mirror. Its technicians and devices mirrors are the shared ones (libs/projections).
 */
export const TICKETS_MIRROR = Symbol('TicketsMirror');

/** The read model's collection, and the operator name of its projection (`/admin/projections/sessions`). */
export const SESSION_VIEWS_NAME = 'sessions';

export type SessionAggregates = AggregateStore<SessionAggregate, SessionCommand, SessionEventEnvelope>;
export type SessionViews = MongoViewStore<SessionView>;
export type TicketsMirror = MirrorProjection<TicketMirrorView>;

export const sessionDefinition = accountAggregate<SessionAggregate, SessionCommand, SessionEventEnvelope>('Session', SESSION_EVENTS, { initialState, evolve, decide });

export function sessionProviders(): Provider[] {
  return aggregateProviders({
    definition: sessionDefinition,
    storeToken: SESSION_AGGREGATES,
    viewsToken: SESSION_VIEWS,
    views: SESSION_VIEWS_NAME,
    toView: toSessionView,
    indexes: [
      // History, newest first: the account's, a device's, a technician's.
      { accountId: 1, createdAt: -1, _id: -1 },
      { accountId: 1, deviceId: 1, createdAt: -1 },
      { accountId: 1, technicianId: 1, createdAt: -1 },
      // The free join code check before create.
      { accountId: 1, code: 1, status: 1 },
    ],
  });
}
