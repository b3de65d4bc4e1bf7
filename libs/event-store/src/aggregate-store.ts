import type { DecidedEvent, EventEnvelope, EventReader } from '@keyward/contracts';
import type { AppendOptions, MongoEventStore } from './mongo-event-store';
import type { StoredEvent } from './stored-event';

/**
 * An event-sourced aggregate as pure functions (emmett style), typed from its contract's event
 * map to the store: `decide` returns the aggregate's own events, and `evolve` receives only events
 * its topic's registry has read (upcast and checked), the same parser its consumers use.
 */
export interface AggregateDefinition<S, C, E extends EventEnvelope> {
  /** Stored with each event (`Technician`, `Device`, ...). */
  readonly type: string;
  /** The topic's event registry in libs/contracts (`DEVICE_EVENTS`, ...). */
  readonly events: EventReader<E>;
  initialState(): S;
  evolve(state: S, event: E): S;
  /** Returns the events (none for a no-op) or throws a RuleViolation. */
  decide(command: C, state: S, now: Date): readonly DecidedEvent<E>[];
  /** The owning account, or undefined while the aggregate does not exist. */
  accountOf(state: S): string | undefined;
}

/** What a domain gives of its aggregate (`domain/index.ts`): the rest of a definition is wiring. */
export type AggregateDomain<S, C, E extends EventEnvelope> = Pick<AggregateDefinition<S, C, E>, 'initialState' | 'evolve' | 'decide'>;

/**
 * The definition of an aggregate owned by one account, as every Keyward aggregate is: its state
 * (null until it exists) carries the `accountId` the store scopes every command to.
 */
export function accountAggregate<S extends { readonly accountId: string } | null, C, E extends EventEnvelope>(
  type: string,
  events: EventReader<E>,
  domain: AggregateDomain<S, C, E>,
): AggregateDefinition<S, C, E> {
  return { ...domain, type, events, accountOf: (state) => state?.accountId };
}

/**
 * A stored event as one of the aggregate's events, read by its topic's registry. One that does
 * not read is a corrupt stream (or an event this code is too old for): like `evolve` on a broken
 * stream, it throws rather than guess.
 */
export function readEvent<E extends EventEnvelope>(events: EventReader<E>, stored: EventEnvelope): E {
  const parsed = events.parseEnvelope(stored);
  if (!parsed.ok) throw new Error(`${stored.type} (version ${stored.version}) of ${stored.aggregateId} does not read as an event of its topic: ${parsed.reason}`);
  return parsed.event;
}

export interface Executed<S> {
  readonly state: S;
  readonly version: number;
  readonly events: readonly StoredEvent[];
}

/** A command's options: its causation and correlation, and `newStream` for an id made up just now (see execute). */
export type ExecuteOptions = Omit<AppendOptions, 'alongside'> & { readonly newStream?: boolean };

/** A create's options: the id was made up just now (`newId`), so there is no stream to load or view to check. */
export const NEW_STREAM: ExecuteOptions = Object.freeze({ newStream: true });

/** Folded states kept in memory per store (most recently used; states are immutable values). */
const STATE_CACHE_LIMIT = 10_000;

/**
 * Runs commands against one kind of aggregate: load (fold its events), decide, append at the
 * version it was loaded at (a concurrent writer makes the append fail with ConcurrencyError,
 * answered 409), fold the new events, hand the state to `onChanged` (the service's read model).
 * Another account's aggregate is treated exactly as one that does not exist.
 *
 * Loading starts from the last state this process folded for the aggregate, when it has one, and
 * reads only the versions after it (one lookup by `_id` when nothing changed). A cached state
 * that another writer has overtaken is caught up by that same read; one that is stale in some
 * other way cannot exist (events never change), and an append at a stale version conflicts anyway.
 */
export class AggregateStore<S, C, E extends EventEnvelope> {
  private readonly cache = new Map<string, { state: S; version: number }>();
  /** Versions of the read model this process has written, so the relay's repair can skip them. */
  private readonly viewsWritten = new Map<string, number>();

  constructor(
    private readonly store: MongoEventStore,
    private readonly definition: AggregateDefinition<S, C, E>,
    private readonly now: () => Date,
    private readonly onChanged?: (id: string, state: S) => Promise<void>,
  ) {}

  async load(id: string): Promise<{ state: S; version: number }> {
    const evolve = (s: S, e: StoredEvent): S => this.definition.evolve(s, readEvent(this.definition.events, e));
    const cached = this.cache.get(id);
    const loaded = cached
      ? await this.store.loadFrom(id, evolve, cached.state, cached.version)
      : await this.store.load(id, evolve, this.definition.initialState());
    if (loaded.version > 0) this.remember(this.cache, id, loaded);
    return loaded;
  }

  /** The aggregate as the account sees it: another account's aggregate is the initial state. */
  async loadFor(accountId: string, id: string): Promise<{ state: S; version: number }> {
    const loaded = await this.load(id);
    const owner = this.definition.accountOf(loaded.state);
    return owner === undefined || owner === accountId ? loaded : { state: this.definition.initialState(), version: -1 };
  }

  /**
   * `options.newStream`: the caller has just made the id up (a random id nobody else can know
   * yet), so there is nothing to load: the stream is taken as empty without a lookup (were it not,
   * the append would conflict), and the view needs no check for a newer version (no other writer
   * can have the id before this command answers).
   */
  async execute(id: string, accountId: string, command: C, options: ExecuteOptions = {}): Promise<Executed<S>> {
    const { newStream = false, ...appendOptions } = options;
    const { state, version } = newStream ? { state: this.definition.initialState(), version: 0 } : await this.loadFor(accountId, id);
    // One instant for deciding and for the events' occurredAt: what decide derives from `now`
    // (a new key's expiry one year on) must match the recorded time exactly.
    const now = this.now();
    const events = this.definition.decide(command, state, now);
    if (events.length === 0) return { state, version, events: [] };
    this.assertReadable(id, accountId, Math.max(version, 0), events, now);
    const fold = (stored: readonly StoredEvent[]): S => stored.reduce((s, e) => this.definition.evolve(s, readEvent(this.definition.events, e)), state);
    // A new stream's view is written alongside the events' insert (no other writer can have the id,
    // so there is nothing to check after it): one round trip less on every creation.
    const alongside = newStream && this.onChanged
      ? (stored: readonly StoredEvent[]) => this.writeView(id, fold(stored), stored.length, false)
      : undefined;
    // version -1: the id belongs to another account; the append can only conflict.
    const appended = await this.store.append({ aggregateId: id, aggregateType: this.definition.type, accountId }, Math.max(version, 0), events,
      { occurredAt: now, ...appendOptions, ...(alongside ? { alongside } : {}) });
    const next = fold(appended.events);
    this.remember(this.cache, id, { state: next, version: appended.version });
    if (!alongside) await this.writeView(id, next, appended.version, !newStream);
    return { state: next, version: appended.version, events: appended.events };
  }

  /**
   * Re-derives the read model of aggregates from their streams (the relay's repair path, after
   * publishing): skipped where this process already wrote the view at the published version.
   */
  async refresh(events: Iterable<Pick<StoredEvent, 'aggregateId' | 'version'>>): Promise<void> {
    if (!this.onChanged) return;
    const highest = new Map<string, number>();
    for (const e of events) highest.set(e.aggregateId, Math.max(e.version, highest.get(e.aggregateId) ?? 0));
    for (const [id, version] of highest) {
      if ((this.viewsWritten.get(id) ?? 0) >= version) continue;
      const loaded = await this.load(id);
      if (this.definition.accountOf(loaded.state) !== undefined) await this.writeView(id, loaded.state, loaded.version);
    }
  }

  /**
   * Writes the read model, then checks by `_id` whether the stream moved past the version
   * written; if it did, writes again from the new state. View writes never go backwards by
   * themselves (they compare versions), but the comparison and the write are two operations: a
   * writer that lost that race to a newer one is the one that sees the newer version here, so
   * the view always ends at the stream's latest version.
   */
  private async writeView(id: string, state: S, version: number, check = true): Promise<void> {
    if (!this.onChanged) return;
    let current = { state, version };
    for (let round = 0; round < 10; round++) {
      await this.onChanged(id, current.state);
      this.remember(this.viewsWritten, id, current.version);
      if (!check || !(await this.store.eventAt(id, current.version + 1))) return;
      current = await this.load(id);
    }
  }

  /**
   * Refuses, before anything is stored, an event its topic's registry would not read (a `decide`
   * that breaks its own contract): consumers would dead-letter it and no load could fold it.
   */
  private assertReadable(id: string, accountId: string, version: number, events: readonly DecidedEvent<E>[], now: Date): void {
    events.forEach((e, i) => readEvent(this.definition.events, {
      ...e, id: 'not-yet-stored', aggregateId: id, accountId, version: version + i + 1, occurredAt: now.toISOString(),
    }));
  }

  private remember<T>(map: Map<string, T>, id: string, value: T): void {
    // Re-inserted last: the Map's order is the use order, the first key the least recent.
    map.delete(id);
    map.set(id, value);
    if (map.size > STATE_CACHE_LIMIT) {
      const oldest = map.keys().next();
      if (!oldest.done) map.delete(oldest.value);
    }
  }
}
