import type { Provider } from '@nestjs/common';
import type { KeyEventEnvelope } from '@keyward/contracts';
import { KEY_EVENTS } from '@keyward/contracts';
import type { AggregateStore, MongoViewStore } from '@keyward/event-store';
import { accountAggregate, aggregateProviders } from '@keyward/event-store';
import type { ApiKeyAggregate, ApiKeyCommand } from '../domain';
import { decide, evolve, initialState } from '../domain';
import type { KeyView } from './key.view';
import { toKeyView } from './key.view';

export const KEY_AGGREGATES = Symbol('KeyAggregates');
export const KEY_VIEWS = Symbol('KeyViews');
const KEY_VIEW_INDEXES = Symbol('KeyViewIndexes');

/**
 * The read model's collection, and the operator name of its projection
 * (`/admin/projections/key_views`; `keys` is the key projection every service holds).
 */
export const KEY_VIEWS_NAME = 'key_views';

export type KeyAggregates = AggregateStore<ApiKeyAggregate, ApiKeyCommand, KeyEventEnvelope>;
export type KeyViews = MongoViewStore<KeyView>;

export const apiKeyDefinition = accountAggregate<ApiKeyAggregate, ApiKeyCommand, KeyEventEnvelope>('ApiKey', KEY_EVENTS, { initialState, evolve, decide });

export function apiKeyProviders(): Provider[] {
  return [
    ...aggregateProviders({ definition: apiKeyDefinition, storeToken: KEY_AGGREGATES, viewsToken: KEY_VIEWS, views: KEY_VIEWS_NAME, toView: toKeyView }),
    {
      // The listing's index (newest first per account) under the name the keys service always gave
      // it: created through the wiring's `indexes` it would get another name, and an index of the
      // same keys under another name is refused in a database made before.
      provide: KEY_VIEW_INDEXES,
      inject: [KEY_VIEWS],
      useFactory: async (views: KeyViews): Promise<string> => views.collection.createIndex({ accountId: 1, createdAt: -1, _id: -1 }, { name: 'account_listing' }),
    },
  ];
}
