import { randomUUID } from 'node:crypto';
import type { Collection, Connection } from 'mongoose';
import type { DomainEvent, EventEnvelope } from '@keyward/contracts';
import { ConcurrencyError, isDuplicateKeyError } from './errors';
import type { OutboxMarkerDoc, StoredEvent, StoredEventDoc } from './stored-event';
import { eventKey, toStoredEvent } from './stored-event';
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
  /**
   * Work that needs only the events, run alongside their insert once the append is claimed (its
   * outbox markers are in: from there a crash still ends with the events stored, by the relay), so
   * it costs no round trip of its own; the append resolves after both and fails if either does.
   * AggregateStore writes a new stream's read model this way.
   */
  readonly alongside?: (events: readonly StoredEvent[]) => Promise<void>;
}

export interface AppendResult {
  /** The stream's version after the append. */
  readonly version: number;
  readonly events: readonly StoredEvent[];
}

export interface EventStoreOptions {
  readonly now: () => Date;
  /**
   * The topic's event registry in libs/contracts (`eventRegistryOf(service)`): every event read is
   * upcast by it to its current shape (events never change in place), the same registry the
   * topic's consumers parse with and the aggregates read by. None: events are read as stored.
   */
  readonly registry?: { upcast(event: EventEnvelope): EventEnvelope };
  /** Collection names, so one database can hold several stores in tests. */
  readonly collection?: string;
  /**
   * An outbox marker whose event is still missing after this long belongs to an appender that
   * died between the two inserts: the relay completes the append from the marker (default 10 s).
   */
  readonly completeAfterMs?: number;
}

/** How many outbox markers the relay reads at once, and how many point reads run in parallel. */
const PARALLEL_READS = 32;
/** Remembered ids of events this process stored and has not seen published (bounded). */
const STORED_HERE_LIMIT = 100_000;

/**
 * An event store on a MongoDB-wire database (MongoDB or FerretDB), without multi-document
 * transactions, change streams or counters, where every read and write on a request path or a
 * relay cycle goes by `_id` (the only lookup FerretDB answers from an index; MongoDB does too):
 * - an event's `_id` is its stream id and zero-padded version: of two writers appending the same
 *   version, one insert fails with a duplicate key and gets ConcurrencyError;
 * - a stream is read by looking its versions up one by one (in parallel waves) until one is
 *   missing: O(stream length) point reads, never a query over the collection;
 * - the outbox is a separate collection holding only unpublished markers, written before the
 *   event and deleted once published, so the relay reads the backlog, never the history.
 *
 * Append protocol (why nothing acknowledged is lost and no loser is ever published):
 * 1. insert one outbox marker per event, `_id` = the event's `_id`, carrying the event. A marker
 *    already there means another append of that version is under way: ConcurrencyError.
 * 2. insert the events. A duplicate key means the version is taken: if the stored event is ours
 *    (the relay completed our append, below), the append succeeded; otherwise we delete our
 *    markers and answer ConcurrencyError.
 * 3. acknowledge. A crash after 2 leaves the markers: the relay publishes. A crash between 1 and
 *    2 leaves a marker without its event: after `completeAfterMs` the relay inserts the event
 *    from the marker (or finds another writer's event there and drops the marker), so a writer
 *    that was only slow finds its own event in step 2.
 */
export class MongoEventStore {
  readonly events: Collection<StoredEventDoc>;
  readonly outbox: Collection<OutboxMarkerDoc>;
  private readonly appendListeners = new Set<(events: readonly StoredEvent[]) => void>();
  private readonly appendingListeners = new Set<() => void>();
  /** Marker ids whose event this process inserted itself: the relay need not look them up. */
  private readonly storedHere = new Set<string>();
  private lastPositionHere = 0;

  constructor(connection: Connection, private readonly options: EventStoreOptions) {
    const name = options.collection ?? 'events';
    this.events = connection.collection<StoredEventDoc>(name);
    this.outbox = connection.collection<OutboxMarkerDoc>(`${name}_outbox`);
  }

  /** Nothing to create: every query of the store goes by `_id`, which every collection indexes. */
  async init(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Appends events to a stream whose current version the caller read as `expectedVersion`
   * (0 for a new stream). Throws ConcurrencyError when another writer got there first.
   */
  async append(stream: StreamRef, expectedVersion: number, events: readonly DomainEvent[], options: AppendOptions = {}): Promise<AppendResult> {
    if (events.length === 0) return { version: expectedVersion, events: [] };
    const occurredAt = options.occurredAt ?? this.options.now();
    const docs: StoredEventDoc[] = events.map((e, i) => ({
      _id: eventKey(stream.aggregateId, expectedVersion + i + 1),
      eventId: randomUUID(),
      position: this.nextPosition(),
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
    }));
    const at = this.options.now().getTime();
    const markers = docs.map((d): OutboxMarkerDoc => ({ _id: d._id, at, event: d }));
    try {
      // A busy refusal wrote nothing (one insert, one SQLite transaction): safe to repeat.
      await withTransientRetry(() => this.outbox.insertMany(markers, { ordered: true }));
    } catch (e) {
      if (!isDuplicateKeyError(e)) throw e;
      // Another append of this version is under way (or died and awaits the relay). An ordered
      // insert may have written our first markers before the refusal: take them back.
      await this.dropMarkers(docs);
      throw new ConcurrencyError(stream.aggregateId, expectedVersion);
    }
    // The append is claimed: the relay may start what it needs before sending (its fence read) now.
    for (const listener of this.appendingListeners) listener();
    const alongside = options.alongside?.(docs.map(toStoredEvent));
    try {
      await withTransientRetry(() => this.events.insertMany(docs, { ordered: true }));
    } catch (e) {
      await alongside?.catch(() => undefined);
      if (!isDuplicateKeyError(e)) throw e;
      if (!(await this.allStoredAreOurs(docs))) {
        await this.dropMarkers(docs);
        throw new ConcurrencyError(stream.aggregateId, expectedVersion);
      }
    }
    await alongside;
    return this.appended(docs, expectedVersion, events.length);
  }

  /** After a duplicate on the events' insert: were they all stored, as ours (by the relay completing our append)? */
  private async allStoredAreOurs(docs: readonly StoredEventDoc[]): Promise<boolean> {
    for (const d of docs) {
      const stored = await withTransientRetry(() => this.events.findOne({ _id: d._id }));
      if (!stored) {
        // Ours were written up to the refusal and this one is free: write the rest.
        try {
          await withTransientRetry(() => this.events.insertOne(d));
          continue;
        } catch (e) {
          if (!isDuplicateKeyError(e)) throw e;
          return this.allStoredAreOurs([d]);
        }
      }
      if (stored.eventId !== d.eventId) return false;
    }
    return true;
  }

  /** Deletes the markers of an append that lost, where they are still ours. */
  private async dropMarkers(docs: readonly StoredEventDoc[]): Promise<void> {
    await Promise.all(docs.map(async (d) => {
      const marker = await withTransientRetry(() => this.outbox.findOne({ _id: d._id }));
      if (marker?.event.eventId === d.eventId) await withTransientRetry(() => this.outbox.deleteOne({ _id: d._id }));
    }));
  }

  private appended(docs: StoredEventDoc[], expectedVersion: number, count: number): AppendResult {
    for (const d of docs) this.rememberStored(d._id);
    const stored = docs.map(toStoredEvent);
    for (const listener of this.appendListeners) listener(stored);
    return { version: expectedVersion + count, events: stored };
  }

  private rememberStored(id: string): void {
    if (this.storedHere.size >= STORED_HERE_LIMIT) {
      // Oldest first (a Set keeps insertion order); a forgotten one is only looked up again.
      const oldest = this.storedHere.values().next();
      if (!oldest.done) this.storedHere.delete(oldest.value);
    }
    this.storedHere.add(id);
  }

  /** Strictly increasing in this process, close to the clock: an approximate store-wide order. */
  private nextPosition(): number {
    this.lastPositionHere = Math.max(this.options.now().getTime() * 1000, this.lastPositionHere + 1);
    return this.lastPositionHere;
  }

  /** Called after every successful append in this process (the relay publishes at once). */
  onAppended(listener: (events: readonly StoredEvent[]) => void): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  /** Called once an append in this process has claimed its version (its markers are written), before its events are. */
  onAppending(listener: () => void): () => void {
    this.appendingListeners.add(listener);
    return () => this.appendingListeners.delete(listener);
  }

  /** The stored event at one version of a stream, if any: one lookup by `_id`. */
  async eventAt(aggregateId: string, version: number): Promise<StoredEvent | undefined> {
    const doc = await withTransientRetry(() => this.events.findOne({ _id: eventKey(aggregateId, version) }));
    return doc ? this.upcast(toStoredEvent(doc)) : undefined;
  }

  /**
   * One stream's events in version order from `fromVersion`, upcast: lookups by `_id`, version
   * after version (in parallel waves of growing size), up to the first version not stored.
   */
  async readStream(aggregateId: string, fromVersion = 1): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    let next = fromVersion;
    // A new stream, or a cached state's next version (the common cases), costs one lookup; longer
    // reads widen the wave.
    let wave = 1;
    for (;;) {
      const ids = Array.from({ length: wave }, (_, i) => eventKey(aggregateId, next + i));
      const docs = await Promise.all(ids.map((id) => withTransientRetry(() => this.events.findOne({ _id: id }))));
      for (const d of docs) {
        // A version appended during the wave after a missing one is left for the next read:
        // what is returned is always a gap-free prefix.
        if (!d) return out;
        out.push(this.upcast(toStoredEvent(d)));
      }
      next += wave;
      wave = Math.min(wave * 4, PARALLEL_READS);
    }
  }

  /**
   * Rebuilds an aggregate by folding its events; version 0 means the stream does not exist.
   * `evolve` gets the stored events as the store holds them: reading one as the aggregate's own
   * type is the aggregate's registry's work (AggregateStore, readEvent), not a cast here.
   */
  async load<S>(aggregateId: string, evolve: (state: S, event: StoredEvent) => S, initial: S): Promise<{ state: S; version: number }> {
    return this.loadFrom(aggregateId, evolve, initial, 0);
  }

  /** Folds the events after `version` into a state already folded up to it (a cached one). */
  async loadFrom<S>(aggregateId: string, evolve: (state: S, event: StoredEvent) => S, state: S, version: number): Promise<{ state: S; version: number }> {
    const events = await this.readStream(aggregateId, version + 1);
    let folded = state;
    for (const e of events) folded = evolve(folded, e);
    return { state: folded, version: events[events.length - 1]?.version ?? version };
  }

  /**
   * Every event of the store, in batches, each stream's events in version order (operator work:
   * rebuilds and republishing). One pass of one cursor over the collection in its natural order:
   * a scan, O(events), never on a request path or a relay cycle. An event met before its
   * predecessor (MongoDB does not promise insertion order) is held back until it arrives.
   */
  async *readAll(batchSize = 1000, signal?: AbortSignal): AsyncGenerator<StoredEvent[]> {
    const nextVersion = new Map<string, number>();
    const held = new Map<string, Map<number, StoredEventDoc>>();
    let batch: StoredEvent[] = [];
    const emit = (d: StoredEventDoc): void => {
      batch.push(this.upcast(toStoredEvent(d)));
      nextVersion.set(d.aggregateId, d.version + 1);
      const waiting = held.get(d.aggregateId);
      const following = waiting?.get(d.version + 1);
      if (waiting && following) {
        waiting.delete(d.version + 1);
        if (waiting.size === 0) held.delete(d.aggregateId);
        emit(following);
      }
    };
    const cursor = this.events.find({}, { batchSize });
    try {
      for await (const d of cursor) {
        signal?.throwIfAborted();
        if (d.version === (nextVersion.get(d.aggregateId) ?? 1)) emit(d);
        else if (!held.get(d.aggregateId)?.set(d.version, d)) held.set(d.aggregateId, new Map([[d.version, d]]));
        if (batch.length >= batchSize) {
          yield batch;
          batch = [];
        }
      }
    } finally {
      await cursor.close();
    }
    // Whatever is still held follows a missing version (a stream with a hole): still delivered, in order.
    for (const waiting of held.values()) for (const d of [...waiting.values()].sort((a, b) => a.version - b.version)) batch.push(this.upcast(toStoredEvent(d)));
    if (batch.length > 0) yield batch;
  }

  /**
   * The oldest events the relay has not published yet, each stream's in version order, only
   * those known to be stored. Reads at most `limit` markers in the outbox's natural order (FerretDB
   * pushes the limit down; the collection holds only the backlog) and looks up by `_id` the
   * events this process did not store itself. A marker whose event is missing is skipped while
   * young and completed (or dropped, if another writer's event took its version) once old.
   */
  async unpublished(limit: number): Promise<StoredEvent[]> {
    return (await this.pending(limit)).events;
  }

  /** As unpublished(), and whether the read saw the whole outbox (fewer markers than `limit`). */
  async pending(limit: number): Promise<{ events: StoredEvent[]; complete: boolean }> {
    const markers = await withTransientRetry(() => this.outbox.find({}).limit(limit).toArray());
    const full = markers.length >= limit;
    const streams = new Map<string, OutboxMarkerDoc[]>();
    for (const m of markers) {
      const list = streams.get(m.event.aggregateId);
      if (list) list.push(m);
      else streams.set(m.event.aggregateId, [m]);
    }
    const out: StoredEventDoc[] = [];
    const now = this.options.now().getTime();
    const work = [...streams.values()].map((list) => async (): Promise<void> => {
      list.sort((a, b) => a.event.version - b.event.version);
      const first = list[0];
      // Only when the read was cut short can an earlier marker of the stream lie beyond it.
      if (first && full && first.event.version > 1 && await withTransientRetry(() => this.outbox.findOne({ _id: eventKey(first.event.aggregateId, first.event.version - 1) }))) return;
      let expected = first?.event.version;
      for (const m of list) {
        // Per-key order: stop at the first marker of the stream that cannot go now.
        if (m.event.version !== expected || !(await this.isStored(m, now))) return;
        out.push(m.event);
        expected = m.event.version + 1;
      }
    });
    for (let i = 0; i < work.length; i += PARALLEL_READS) await Promise.all(work.slice(i, i + PARALLEL_READS).map((w) => w()));
    return { events: out.sort((a, b) => a.position - b.position).map((d) => this.upcast(toStoredEvent(d))), complete: !full };
  }

  /** Is the marker's event stored (so it may be published)? Completes or drops an old orphan marker. */
  private async isStored(m: OutboxMarkerDoc, now: number): Promise<boolean> {
    if (this.storedHere.has(m._id)) return true;
    const stored = await withTransientRetry(() => this.events.findOne({ _id: m._id }));
    if (stored) {
      if (stored.eventId === m.event.eventId) return true;
      // A loser's marker left by a crash: its version belongs to another event, already published.
      await withTransientRetry(() => this.outbox.deleteOne({ _id: m._id }));
      return false;
    }
    if (now - m.at < (this.options.completeAfterMs ?? 10_000)) return false;
    try {
      // The appender died between its two inserts (or is very slow: it will find its own event).
      await withTransientRetry(() => this.events.insertOne(m.event));
      return true;
    } catch (e) {
      if (!isDuplicateKeyError(e)) throw e;
      return this.isStored(m, now);
    }
  }

  /** Deletes the outbox markers of published events: one bulk write of deletes by `_id`. */
  async markPublished(events: readonly Pick<StoredEvent, 'aggregateId' | 'version'>[]): Promise<void> {
    if (events.length === 0) return;
    const ids = events.map((e) => eventKey(e.aggregateId, e.version));
    // Deleting by _id is idempotent, so a busy refusal mid-batch is simply repeated.
    await withTransientRetry(() => this.outbox.bulkWrite(ids.map((_id) => ({ deleteOne: { filter: { _id } } })), { ordered: false }));
    for (const id of ids) this.storedHere.delete(id);
  }

  /** The backlog: a count over the outbox, which holds only unpublished markers. */
  async countUnpublished(): Promise<number> {
    return withTransientRetry(() => this.outbox.countDocuments({}));
  }

  /** The position of this process's last append (0 before any): no query. */
  lastPosition(): number {
    return this.lastPositionHere;
  }

  private upcast(e: StoredEvent): StoredEvent {
    const registry = this.options.registry;
    if (!registry) return e;
    const up = registry.upcast(e);
    return up === e ? e : { ...up, position: e.position, aggregateType: e.aggregateType };
  }
}
