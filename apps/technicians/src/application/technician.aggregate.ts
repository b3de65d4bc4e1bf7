import type { Provider } from '@nestjs/common';
import type { TechnicianEventEnvelope } from '@keyward/contracts';
import { TECHNICIAN_EVENTS } from '@keyward/contracts';
import type { AggregateStore, MongoViewStore } from '@keyward/event-store';
import { accountAggregate, aggregateProviders } from '@keyward/event-store';
import type { TechnicianAggregate, TechnicianCommand } from '../domain';
import { decide, evolve, initialState } from '../domain';
import type { TechnicianView } from './technician.view';
import { toTechnicianView } from './technician.view';

export const TECHNICIAN_AGGREGATES = Symbol('TechnicianAggregates');
export const TECHNICIAN_VIEWS = Symbol('TechnicianViews');

/** The read model's collection, and the operator name of its projection (`/admin/projections/technicians`). */
export const TECHNICIAN_VIEWS_NAME = 'technicians';

export type TechnicianAggregates = AggregateStore<TechnicianAggregate, TechnicianCommand, TechnicianEventEnvelope>;
export type TechnicianViews = MongoViewStore<TechnicianView>;

export const technicianDefinition = accountAggregate<TechnicianAggregate, TechnicianCommand, TechnicianEventEnvelope>('Technician', TECHNICIAN_EVENTS, { initialState, evolve, decide });

export function technicianProviders(): Provider[] {
  return aggregateProviders({
    definition: technicianDefinition,
    storeToken: TECHNICIAN_AGGREGATES,
    viewsToken: TECHNICIAN_VIEWS,
    views: TECHNICIAN_VIEWS_NAME,
    toView: toTechnicianView,
    indexes: [
      // Listing, newest first.
      { accountId: 1, createdAt: -1, _id: -1 },
      // The email check before register and update.
      { accountId: 1, email: 1, status: 1 },
    ],
  });
}
