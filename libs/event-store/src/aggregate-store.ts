import type { DomainEvent, EventEnvelope } from '@keyward/contracts';
import type { AppendOptions, MongoEventStore } from './mongo-event-store';
import type { StoredEvent } from './stored-event';

/** An event-sourced aggregate as pure functions (emmett style). */
export interface AggregateDefinition<S, C, E extends EventEnvelope> {
  /** Stored with each event (`Technician`, `Device`, ...). */
  readonly type: string;
  initialState(): S;
  evolve(state: S, event: E): S;
  /** Returns the events (none for a no-op) or throws a RuleViolation. */
  decide(command: C, state: S, now: Date): readonly DomainEvent[];
  /** The owning account, or undefined while the aggregate does not exist. */
  accountOf(state: S): string | undefined;
}

export interface Executed<S> {
  readonly state: S;
  readonly version: number;
  readonly events: readonly StoredEvent[];
}

/**
 * Runs commands against one kind of aggregate: load (fold its events), decide, append at the
 * version it was loaded at (a concurrent writer makes the append fail with ConcurrencyError,
 * answered 409), fold the new events, hand the state to `onChanged` (the service's read model).
 * Another account's aggregate is treated exactly as one that does not exist.
 */
export class AggregateStore<S, C, E extends EventEnvelope> {
  constructor(
    private readonly store: MongoEventStore,
    private readonly definition: AggregateDefinition<S, C, E>,
    private readonly now: () => Date,
    private readonly onChanged?: (id: string, state: S) => Promise<void>,
  ) {}

  async load(id: string): Promise<{ state: S; version: number }> {
    return this.store.load<S, E>(id, (s, e) => this.definition.evolve(s, e), this.definition.initialState());
  }

  /** The aggregate as the account sees it: another account's aggregate is the initial state. */
  async loadFor(accountId: string, id: string): Promise<{ state: S; version: number }> {
    const loaded = await this.load(id);
    const owner = this.definition.accountOf(loaded.state);
    return owner === undefined || owner === accountId ? loaded : { state: this.definition.initialState(), version: -1 };
  }

  async execute(id: string, accountId: string, command: C, options: AppendOptions = {}): Promise<Executed<S>> {
    const { state, version } = await this.loadFor(accountId, id);
    // One instant for deciding and for the events' occurredAt: what decide derives from `now`
    // (a new key's expiry one year on) must match the recorded time exactly.
    const now = this.now();
    const events = this.definition.decide(command, state, now);
    if (events.length === 0) return { state, version, events: [] };
    // version -1: the id belongs to another account; the append can only conflict.
    const appended = await this.store.append({ aggregateId: id, aggregateType: this.definition.type, accountId }, Math.max(version, 0), events, { occurredAt: now, ...options });
    let next = state;
    for (const e of appended.events) next = this.definition.evolve(next, e as unknown as E);
    await this.onChanged?.(id, next);
    return { state: next, version: appended.version, events: appended.events };
  }

  /** Re-derives the read model of aggregates from their streams (the relay's repair path). */
  async refresh(ids: Iterable<string>): Promise<void> {
    if (!this.onChanged) return;
    for (const id of new Set(ids)) {
      const { state } = await this.load(id);
      if (this.definition.accountOf(state) !== undefined) await this.onChanged(id, state);
    }
  }
}
