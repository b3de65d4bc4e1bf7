import { randomUUID } from 'node:crypto';
import type { Collection, Connection } from 'mongoose';
import type { DomainEvent, EventEnvelope } from '@keyward/contracts';
import { ConcurrencyError, isDuplicateKeyError } from './errors';
import type { StoredEvent, StoredEventDoc } from './stored-event';
import { toStoredEvent } from './stored-event';
import { withTransientRetry } from './transient-retry';

export interface StreamRef {
  readonly aggregateId: string;
  readonly aggregateType: string;
  readonly accountId: string;
}

export interface AppendOptions {
  readonly correlationId?: string;
  readonly causationId?: string;
  /** The instant the events were decided at (default: now), so what they derive from it matches it. */
  readonly occurredAt?: Date;
}

export interface AppendResult {
  /** The stream's version after the append. */
  readonly version: number;
  readonly events: readonly StoredEvent[];
}

/** Rewrites an old event shape into the current one on read (events never change in place). */
export type Upcaster = (event: EventEnvelope) => EventEnvelope;

export interface EventStoreOptions {
  readonly now: () => Date;
  /** Upcasters by `type`, applied on every read. */
  readonly upcasters?: Readonly<Record<string, Upcaster>>;
  /** Collection names, so one database can hold several stores in tests. */
  readonly collection?: string;
}

interface CounterDoc {
  _id: string;
  seq: number;
}

/**
 * An event store on a MongoDB-wire database (MongoDB or FerretDB), without multi-document
 * transactions or change streams:
 * - optimistic concurrency from a unique index on (aggregateId, version): of two writers
 *   appending the same version, one insert fails with a duplicate key and gets ConcurrencyError;
 * - a global `position` from an atomic counter, so the whole store reads in append order;
 * - every event starts unpublished: the store is the outbox that OutboxRelay drains to Kafka.
 */
export class MongoEventStore {
  readonly events: Collection<StoredEventDoc>;
  private readonly counters: Collection<CounterDoc>;
  private readonly appendListeners = new Set<(events: readonly StoredEvent[]) => void>();

  constructor(connection: Connection, private readonly options: EventStoreOptions) {
    const name = options.collection ?? 'events';
    this.events = connection.collection<StoredEventDoc>(name);
    this.counters = connection.collection<CounterDoc>(`${name}_counters`);
  }

  async init(): Promise<void> {
    await withTransientRetry(() => this.events.createIndex({ aggregateId: 1, version: 1 }, { unique: true, name: 'stream_version' }));
    await withTransientRetry(() => this.events.createIndex({ position: 1 }, { unique: true, name: 'position' }));
    await withTransientRetry(() => this.events.createIndex({ published: 1, position: 1 }, { name: 'outbox' }));
    // The counter exists before the first append, so concurrent first appends only increment it.
    try {
      await withTransientRetry(() => this.counters.updateOne({ _id: 'position' }, { $setOnInsert: { seq: 0 } }, { upsert: true }));
    } catch (e) {
      // Another instance created it at the same moment.
      if (!isDuplicateKeyError(e)) throw e;
    }
  }

  /**
   * Appends events to a stream whose current version the caller read as `expectedVersion`
   * (0 for a new stream). Throws ConcurrencyError when another writer got there first.
   * One command's events are written in one ordered insert; this domain's commands emit one
   * event each, so no command is ever half-written.
   */
  async append(stream: StreamRef, expectedVersion: number, events: readonly DomainEvent[], options: AppendOptions = {}): Promise<AppendResult> {
    if (events.length === 0) return { version: expectedVersion, events: [] };
    const occurredAt = options.occurredAt ?? this.options.now();
    for (let attempt = 1; ; attempt++) {
      const firstPosition = await this.allocatePositions(events.length);
      const docs: StoredEventDoc[] = events.map((e, i) => ({
        _id: randomUUID(),
        position: firstPosition + i,
        aggregateId: stream.aggregateId,
        aggregateType: stream.aggregateType,
        accountId: stream.accountId,
        version: expectedVersion + i + 1,
        type: e.type,
        schemaVersion: e.schemaVersion,
        occurredAt,
        data: e.data,
        ...(options.correlationId !== undefined ? { correlationId: options.correlationId } : {}),
        ...(options.causationId !== undefined ? { causationId: options.causationId } : {}),
        published: false,
      }));
      try {
        // A busy refusal wrote nothing (one insert, one SQLite transaction): safe to repeat.
        await withTransientRetry(() => this.events.insertMany(docs, { ordered: true }));
        return this.appended(docs, expectedVersion, events.length);
      } catch (e) {
        if (!isDuplicateKeyError(e)) throw e;
        // Two unique indexes can refuse the insert. The stream's version taken by another writer
        // is the conflict the caller must hear about. A position taken twice happens where the
        // counter's increment is not atomic under concurrency (FerretDB's is not: concurrent
        // increments can be lost, leaving the counter behind positions in use): move the counter
        // past the highest position and retry; nothing was written.
        const taken = await withTransientRetry(() => this.events.countDocuments({ aggregateId: stream.aggregateId, version: expectedVersion + 1 }));
        if (taken > 0 || attempt >= 20) throw new ConcurrencyError(stream.aggregateId, expectedVersion);
        const highest = await this.lastPosition();
        await withTransientRetry(() => this.counters.updateOne({ _id: 'position' }, { $max: { seq: highest } }, { upsert: true }));
      }
    }
  }

  private appended(docs: StoredEventDoc[], expectedVersion: number, count: number): AppendResult {
    const stored = docs.map(toStoredEvent);
    for (const listener of this.appendListeners) listener(stored);
    return { version: expectedVersion + count, events: stored };
  }

  /** Called after every successful append in this process (the relay publishes at once). */
  onAppended(listener: (events: readonly StoredEvent[]) => void): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  /** One stream's events in version order, upcast. */
  async readStream(aggregateId: string, fromVersion = 1): Promise<StoredEvent[]> {
    const docs = await withTransientRetry(() => this.events.find({ aggregateId, version: { $gte: fromVersion } }).sort({ version: 1 }).toArray());
    return docs.map((d) => this.upcast(toStoredEvent(d)));
  }

  /** Rebuilds an aggregate by folding its events; version 0 means the stream does not exist. */
  async load<S, E extends EventEnvelope>(aggregateId: string, evolve: (state: S, event: E) => S, initial: S): Promise<{ state: S; version: number }> {
    const events = await this.readStream(aggregateId);
    let state = initial;
    for (const e of events) state = evolve(state, e as unknown as E);
    return { state, version: events.length === 0 ? 0 : (events[events.length - 1]?.version ?? 0) };
  }

  /** Every stream's events in append order, after a position (0 = from the start). */
  async readAll(afterPosition: number, limit: number): Promise<StoredEvent[]> {
    const docs = await withTransientRetry(() => this.events.find({ position: { $gt: afterPosition } }).sort({ position: 1 }).limit(limit).toArray());
    return docs.map((d) => this.upcast(toStoredEvent(d)));
  }

  /** The oldest events the relay has not published yet, in append order. */
  async unpublished(limit: number): Promise<StoredEvent[]> {
    const docs = await withTransientRetry(() => this.events.find({ published: false }).sort({ position: 1 }).limit(limit).toArray());
    return docs.map((d) => this.upcast(toStoredEvent(d)));
  }

  async markPublished(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await withTransientRetry(() => this.events.updateMany({ _id: { $in: [...ids] } }, { $set: { published: true, publishedAt: this.options.now() } }));
  }

  async countUnpublished(): Promise<number> {
    return withTransientRetry(() => this.events.countDocuments({ published: false }));
  }

  async lastPosition(): Promise<number> {
    const last = await withTransientRetry(() => this.events.find({}).sort({ position: -1 }).limit(1).toArray());
    return last[0]?.position ?? 0;
  }

  private upcast(e: StoredEvent): StoredEvent {
    const up = this.options.upcasters?.[e.type];
    return up ? { ...up(e), position: e.position, aggregateType: e.aggregateType } : e;
  }

  /** Reserves `count` consecutive positions. A failed append leaves a hole, which readers skip. */
  private async allocatePositions(count: number): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await withTransientRetry(() => this.counters.findOneAndUpdate(
          { _id: 'position' },
          { $inc: { seq: count } },
          { upsert: true, returnDocument: 'after' },
        ));
        const seq = res?.seq;
        if (typeof seq !== 'number') throw new Error('event store: position counter did not answer');
        return seq - count + 1;
      } catch (e) {
        // Two upserts of a missing counter at once: one inserts it, the other meets it (FerretDB
        // does not retry that upsert itself). Increment again.
        if (!isDuplicateKeyError(e) || attempt >= 5) throw e;
      }
    }
  }

}
