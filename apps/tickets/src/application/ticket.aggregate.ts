import type { Provider } from '@nestjs/common';
import type { TicketEventEnvelope } from '@keyward/contracts';
import { TICKET_EVENTS } from '@keyward/contracts';
import type { AggregateStore, MongoViewStore } from '@keyward/event-store';
import { accountAggregate, aggregateProviders } from '@keyward/event-store';
import type { MirrorProjection } from '@keyward/projections';
import type { TicketAggregate, TicketCommand } from '../domain';
import { decide, evolve, initialState } from '../domain';
import type { SessionMirrorView } from '../mirrors/session.mirror';
import type { TicketView } from './ticket.view';
import { toTicketView } from './ticket.view';

export const TICKET_AGGREGATES = Symbol('TicketAggregates');
export const TICKET_VIEWS = Symbol('TicketViews');
/**
 * The sessions the process manager follows, from sessions.events (provided by mirrors/): tickets'
 * own mirror. Its technicians and devices mirrors are the shared ones (libs/projections).
 */
export const SESSIONS_MIRROR = Symbol('SessionsMirror');

/** The read model's collection, and the operator name of its projection (`/admin/projections/tickets`). */
export const TICKET_VIEWS_NAME = 'tickets';

export type TicketAggregates = AggregateStore<TicketAggregate, TicketCommand, TicketEventEnvelope>;
export type TicketViews = MongoViewStore<TicketView>;
export type SessionsMirror = MirrorProjection<SessionMirrorView>;

export const ticketDefinition = accountAggregate<TicketAggregate, TicketCommand, TicketEventEnvelope>('Ticket', TICKET_EVENTS, { initialState, evolve, decide });

export function ticketProviders(): Provider[] {
  return aggregateProviders({
    definition: ticketDefinition,
    storeToken: TICKET_AGGREGATES,
    viewsToken: TICKET_VIEWS,
    views: TICKET_VIEWS_NAME,
    toView: toTicketView,
    indexes: [
      // Listing, newest first: the account's, by status, by technician; and by reference.
      { accountId: 1, createdAt: -1, _id: -1 },
      { accountId: 1, status: 1, createdAt: -1 },
      { accountId: 1, technicianId: 1, createdAt: -1 },
      { accountId: 1, reference: 1 },
    ],
  });
}
