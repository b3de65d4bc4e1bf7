import type { SessionEventEnvelope } from '@keyward/contracts';
import { SESSION_EVENTS } from '@keyward/contracts';
import type { AggregateDefinition } from '@keyward/event-store';
import type { SessionAggregate, SessionCommand } from '../domain';
import { decide, evolve, initialState } from '../domain';

/** The Session aggregate as the shared AggregateStore runs it. */
export const sessionAggregate: AggregateDefinition<SessionAggregate, SessionCommand, SessionEventEnvelope> = {
  type: 'Session',
  events: SESSION_EVENTS,
  initialState,
  evolve,
  decide,
  accountOf: (state) => state?.accountId,
};
