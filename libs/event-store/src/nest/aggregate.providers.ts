import type { Provider } from '@nestjs/common';
import type { Connection } from 'mongoose';
import type { ServiceConfig } from '@keyward/config';
import { topicName } from '@keyward/config';
import type { EventEnvelope } from '@keyward/contracts';
import { SERVICES } from '@keyward/contracts';
import { ProjectionRegistry } from '@keyward/projections';
import type { Clock } from '@keyward/service-runtime';
import { CLOCK, MONGO_CONNECTION, SERVICE_CONFIG } from '@keyward/service-runtime';
import type { AggregateDefinition } from '../aggregate-store';
import { AggregateStore } from '../aggregate-store';
import { AggregateViewsProjection } from '../aggregate-views.projection';
import { MongoEventStore } from '../mongo-event-store';
import type { ViewBase } from '../view-store';
import { MongoViewStore } from '../view-store';
import { OutboxHooks } from './event-store.module';

export interface AggregateWiring<S, C, E extends EventEnvelope, V extends ViewBase> {
  readonly definition: AggregateDefinition<S, C, E>;
  /** DI tokens the service injects: the command side and the read model. */
  readonly storeToken: symbol;
  readonly viewsToken: symbol;
  /** Read-model collection, also the operator name of its projection (`technicians`). */
  readonly views: string;
  readonly toView: (id: string, state: S) => V | undefined;
  /** Indexes of the read model for the service's queries. */
  readonly indexes?: readonly Record<string, 1 | -1>[];
}

/**
 * Wires one aggregate into a service that imports EventStoreModule: an AggregateStore whose
 * changes update the read model at once, the relay re-deriving the read model of every batch it
 * publishes (repair after a crash), and the read model registered with the operator API so it
 * can be rebuilt from the event store.
 */
export function aggregateProviders<S, C, E extends EventEnvelope, V extends ViewBase>(w: AggregateWiring<S, C, E, V>): Provider[] {
  return [
    {
      provide: w.viewsToken,
      inject: [MONGO_CONNECTION],
      useFactory: async (connection: Connection) => {
        const views = new MongoViewStore<V>(connection, w.views);
        for (const index of w.indexes ?? []) await views.collection.createIndex(index);
        return views;
      },
    },
    {
      provide: w.storeToken,
      inject: [MongoEventStore, w.viewsToken, CLOCK, OutboxHooks, ProjectionRegistry, SERVICE_CONFIG],
      useFactory: (store: MongoEventStore, views: MongoViewStore<V>, clock: Clock, hooks: OutboxHooks, registry: ProjectionRegistry, config: ServiceConfig) => {
        const save = async (id: string, state: S): Promise<void> => {
          const view = w.toView(id, state);
          if (view) await views.save(view);
        };
        const aggregates = new AggregateStore<S, C, E>(store, w.definition, () => clock.now(), save);
        hooks.register((events) => aggregates.refresh(events.filter((e) => e.aggregateType === w.definition.type)));
        const topic = SERVICES[config.service].topic ?? '';
        registry.register(new AggregateViewsProjection(w.views, store, w.definition, views, w.toView, topicName(config, topic)));
        return aggregates;
      },
    },
  ];
}
