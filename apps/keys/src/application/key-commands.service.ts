import { Inject, Injectable } from '@nestjs/common';
import type { KeyEventEnvelope } from '@keyward/contracts';
import { KEY_EVENTS } from '@keyward/contracts';
import { AggregateStore, MongoEventStore } from '@keyward/event-store';
import type { AggregateDefinition, StoredEvent } from '@keyward/event-store';
import { ProblemError } from '@keyward/problem';
import type { Clock } from '@keyward/service-runtime';
import { CLOCK } from '@keyward/service-runtime';
import type { ApiKeyAggregate, ApiKeyCommand, ApiKeyState } from '../domain';
import { decide, evolve, initialState } from '../domain';
import { ExpirySchedule } from '../commands/expire-keys/expiry-schedule';
import { KeyViewsRepository } from './key-views.repository';

export const KEY_AGGREGATE_TYPE = 'ApiKey';

export interface CommandContext {
  readonly accountId: string;
  readonly correlationId?: string;
  /** The key id was generated for this command (POST /v1/keys): the stream cannot exist yet. */
  readonly newKey?: boolean;
}

/** The ApiKey aggregate as the shared AggregateStore runs it. */
export const API_KEY: AggregateDefinition<ApiKeyAggregate, ApiKeyCommand, KeyEventEnvelope> = {
  type: KEY_AGGREGATE_TYPE,
  events: KEY_EVENTS,
  initialState,
  evolve,
  decide,
  accountOf: (state) => state?.accountId,
};

/**
 * Runs one command against one key through the shared AggregateStore (load, decide, append at
 * the loaded version — a concurrent writer gets 409 `concurrent_modification` — fold), then
 * writes the read model. Another account's key is answered exactly like a missing one.
 */
@Injectable()
export class KeyCommandsService {
  private readonly aggregates: AggregateStore<ApiKeyAggregate, ApiKeyCommand, KeyEventEnvelope>;

  constructor(store: MongoEventStore, views: KeyViewsRepository, @Inject(CLOCK) clock: Clock, expiries: ExpirySchedule) {
    this.aggregates = new AggregateStore(store, API_KEY, () => clock.now(), async (_id, state) => {
      if (state === null) return;
      await views.save(state);
      expiries.track(state.id, state.accountId, state.status, Date.parse(state.expiresAt));
    });
  }

  async load(keyId: string): Promise<{ state: ApiKeyAggregate; version: number }> {
    return this.aggregates.load(keyId);
  }

  async execute(keyId: string, command: ApiKeyCommand, ctx: CommandContext): Promise<ApiKeyState> {
    // A CreateKey's id was just made up by the controller (newId): nothing to load.
    const { state } = await this.aggregates.execute(keyId, ctx.accountId, command, {
      ...(ctx.correlationId !== undefined ? { correlationId: ctx.correlationId } : {}),
      ...(command.type === 'CreateKey' && ctx.newKey === true ? { newStream: true } : {}),
    });
    if (state === null) throw keyNotFound(keyId);
    return state;
  }

  /** Re-derives the read model of keys from their streams (the relay's repair path). */
  async refreshViews(events: Iterable<Pick<StoredEvent, 'aggregateId' | 'version'>>): Promise<void> {
    await this.aggregates.refresh(events);
  }
}

export function keyNotFound(keyId: string): ProblemError {
  return new ProblemError(404, 'key_not_found', 'Not found', `key ${keyId} does not exist`);
}
