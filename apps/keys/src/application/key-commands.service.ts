import { Inject, Injectable } from '@nestjs/common';
import type { KeyEventEnvelope } from '@keyward/contracts';
import { ConcurrencyError, MongoEventStore } from '@keyward/event-store';
import { ProblemError } from '@keyward/problem';
import type { Clock } from '@keyward/service-runtime';
import { CLOCK } from '@keyward/service-runtime';
import type { ApiKeyAggregate, ApiKeyCommand, ApiKeyState } from '../domain';
import { decide, evolve, initialState, KeyRuleViolation } from '../domain';
import { KeyViewsRepository } from './key-views.repository';

export const KEY_AGGREGATE_TYPE = 'ApiKey';

export interface CommandContext {
  readonly accountId: string;
  readonly correlationId?: string;
}

const STATUS_BY_KIND = { conflict: 409, invalid: 422, not_found: 404 } as const;

/**
 * Runs one command against one key: load (fold its events), decide, append at the version it
 * was loaded at, update the read model, return the new state. A concurrent writer makes the
 * append fail and the caller gets 409 `concurrent_modification`, which it can retry.
 */
@Injectable()
export class KeyCommandsService {
  constructor(
    private readonly store: MongoEventStore,
    private readonly views: KeyViewsRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async load(keyId: string): Promise<{ state: ApiKeyAggregate; version: number }> {
    return this.store.load<ApiKeyAggregate, KeyEventEnvelope>(keyId, evolve, initialState());
  }

  async execute(keyId: string, command: ApiKeyCommand, ctx: CommandContext): Promise<ApiKeyState> {
    const { state, version } = await this.load(keyId);
    // Another account's key is answered exactly like a key that does not exist.
    const visible = state !== null && state.accountId === ctx.accountId ? state : null;
    if (state !== null && visible === null) throw keyNotFound(keyId);
    let events;
    try {
      events = decide(command, visible, this.clock.now());
    } catch (e) {
      throw e instanceof KeyRuleViolation ? toProblem(e) : e;
    }
    if (visible === null && command.type !== 'CreateKey') throw keyNotFound(keyId);
    if (events.length === 0 && visible !== null) return visible;
    let appended;
    try {
      appended = await this.store.append(
        { aggregateId: keyId, aggregateType: KEY_AGGREGATE_TYPE, accountId: ctx.accountId },
        version,
        events,
        ctx.correlationId !== undefined ? { correlationId: ctx.correlationId } : {},
      );
    } catch (e) {
      if (e instanceof ConcurrencyError) {
        throw new ProblemError(409, 'concurrent_modification', 'Concurrent modification',
          `key ${keyId} was changed by another request at the same time; read it again and retry`);
      }
      throw e;
    }
    let next: ApiKeyAggregate = visible;
    for (const e of appended.events) next = evolve(next, e as unknown as KeyEventEnvelope);
    if (next === null) throw new Error('a key command produced no key');
    await this.views.save(next);
    return next;
  }

  /** Re-derives the read model of keys from their streams (the relay's repair path). */
  async refreshViews(keyIds: Iterable<string>): Promise<void> {
    for (const id of new Set(keyIds)) {
      const { state } = await this.load(id);
      if (state !== null) await this.views.save(state);
    }
  }
}

export function keyNotFound(keyId: string): ProblemError {
  return new ProblemError(404, 'key_not_found', 'Key not found', `key ${keyId} does not exist`);
}

function toProblem(v: KeyRuleViolation): ProblemError {
  if (v.code === 'key_not_found') return new ProblemError(404, 'key_not_found', 'Key not found', v.message);
  return new ProblemError(STATUS_BY_KIND[v.kind], v.code, v.kind === 'conflict' ? 'Conflict with the key\'s state' : 'Request breaks a key rule',
    v.message, v.details ?? {});
}
