import type { TicketEventEnvelope } from '@keyward/contracts';
import { TICKET_EVENTS } from '@keyward/contracts';
import type { AggregateDefinition } from '@keyward/event-store';
import type { TicketAggregate, TicketCommand } from '../domain';
import { decide, evolve, initialState } from '../domain';

/** The Ticket aggregate as the shared AggregateStore runs it. */
export const ticketAggregate: AggregateDefinition<TicketAggregate, TicketCommand, TicketEventEnvelope> = {
  type: 'Ticket',
  events: TICKET_EVENTS,
  initialState,
  evolve,
  decide,
  accountOf: (state) => state?.accountId,
};
