import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Collection, Connection } from 'mongoose';
import type { EventEnvelope, ParsedEvent } from '@keyward/contracts';
import { ensureTopics, eventTopic, withDeadline } from '@keyward/messaging';
import { AppliedChanges, describeChange, highResolutionNow } from './applied-changes';
import type { ConsumerState } from './consumer-faults';
import { ConsumerRestarts, errorText } from './consumer-faults';
import type { DeadLetter } from './dead-letters';
import { DeadLetters } from './dead-letters';
import type { AppliedStatus, ProjectionStatus, RebuildableProjection, RebuildPhase, RebuildProgress, RebuildResult } from './projection';
import { rebuildIndexedProjection, writeViewsById } from './projection-rebuild';
import type { FreshnessSource, WatermarkStatus } from './source-watermarks';
import { FERRETDB_SAFE_WRITE_BATCH } from './view-writes';
import type { ProjectionSnapshotOptions, SnapshotCut, SnapshotStatus } from './snapshots/projection-snapshots';
import { describe as describePositions, ProjectionSnapshots } from './snapshots/projection-snapshots';
import type { IndexCapture, WrittenSnapshot } from './snapshots/snapshot-file';
import { instanceCheckpointId, instanceCollection, instanceGroupId } from './per-instance';
import type { ConsumerView, EventConsumer } from '@keyward/service-runtime';

/** An in-memory projection state that applies each aggregate's events once, by version. */
export interface ProjectionIndex<V extends ConsumerView> {
  /** 'quarantined': refused, not applied (e.g. past a version gap); the live consumer dead-letters it. */
  apply(event: EventEnvelope): 'applied' | 'duplicate' | 'gap' | 'quarantined';
  get(id: string): V | undefined;
  snapshot(): V[];
  load(views: readonly V[]): void;
  readonly size: number;
  /** A copy of the items taken in one synchronous step, rendered as views later (snapshots); default: `snapshot()`. */
  capture?(): IndexCapture<V>;
  /** Adds views to what `load` loaded (a snapshot is loaded a slice at a time); default: collected, then `load`. */
  loadMore?(views: readonly V[]): void;
}

export interface IndexedProjectionOptions<V extends ConsumerView, I extends ProjectionIndex<V>> {
  readonly name: string;
  readonly topic: string;
  readonly groupId: string;
  /** Collection of the persisted views, in the service's own database. */
  readonly collection: string;
  readonly createIndex: () => I;
  /**
   * The message as an event this projection understands, or why not (the topic's registry in
   * libs/contracts): a message it is not is written to the dead letters and skipped.
   */
  readonly parse: (value: Buffer | null) => ParsedEvent<EventEnvelope>;
  /** The event types `parse` accepts (the topic's registry): the `@EventPattern` handlers bound to this projection. */
  readonly eventTypes?: readonly string[];
  /** 0: no bound. See DESIGN section 5. */
  readonly maxStalenessMs: number;
  /**
   * What confirms the projection is current (source-watermarks.ts: the source relay's watermarks,
   * for the key projection). Without one, or while its source publishes none, a fetch of the
   * running consumer does.
   */
  readonly freshness?: FreshnessSource;
  /** What the items are called in log lines (`keys`, `technicians`). */
  readonly itemNoun?: string;
  /** A local snapshot to restart from (docs/snapshots.md); none: every restart loads every view from the database. */
  readonly snapshot?: ProjectionSnapshotOptions;
  readonly log: { log(message: string): void; warn(message: string): void };
  /**
   * This instance of the service (ServiceConfig.instanceId): when set, the consumer group, the
   * checkpoint and the views are this instance's own (per-instance.ts, docs/scaling.md).
   */
  readonly instanceId?: string;
  /**
   * Least time between two persists (views and checkpoint) while events keep coming (default
   * PERSIST_INTERVAL_MS): what a crash may re-read from the topic, against one database write per
   * batch. The index in memory is current either way.
   */
  readonly persistIntervalMs?: number;
}

interface CheckpointDoc { _id: string; topic: string; partition: number; offset: string; instanceId?: string }
/** A persisted view: the view's own fields plus its id. */
interface ViewDoc { _id: string; [field: string]: unknown }

/** What operators (`/admin/projections`), /metrics and the fault suite see of a live consumer. */
export interface ConsumerStatus {
  /** `running`: joined and fetching; `restarting`: supervision is bringing it (back) up; `stopped`: stop() was called. */
  readonly consumer: ConsumerState;
  /** Supervised restarts since the process started (a start retried while Kafka was not up counts). */
  readonly restarts: number;
  readonly lastError: string | null;
  readonly lastErrorAt: string | null;
  /** Messages of this projection's topic in `dead_letters` (parse failed, apply threw, or quarantined). */
  readonly deadLetters: number;
}

/** Consumer sizing: a heartbeat at least every few seconds even in a long batch, far inside the session timeout. */
const CONSUMER_CONFIG = {
  sessionTimeout: 30_000,
  rebalanceTimeout: 60_000,
  heartbeatInterval: 3_000,
  maxWaitTimeInMs: 500,
  // A batch is at most ~1 MiB per partition (a few thousand events): its apply is milliseconds, and
  // its persist is written in chunks with a heartbeat between them.
  maxBytesPerPartition: 1024 * 1024,
  maxBytes: 4 * 1024 * 1024,
  // kafkajs retries a failing fetch or batch a few times, then crashes; supervision restarts it (never kafkajs
  // itself, which would not re-align the group with the persisted checkpoint).
  retry: { retries: 3, initialRetryTime: 250, maxRetryTime: 2_000, restartOnFailure: async (): Promise<boolean> => false },
} as const;

/**
 * Silence after which a running consumer is reported not ready: it fetches every ~0.5 s when healthy,
 * and a long batch counts as progress at each of its heartbeats (see `lastProgressAtMs`).
 */
const FETCH_SILENCE_NOT_READY_MS = 10_000;
/** Messages applied between heartbeats (views are written FERRETDB_SAFE_WRITE_BATCH per bulk write, see view-writes.ts). */
const PERSIST_CHUNK = 500;
/**
 * Persists of the live consumer at most this often under load: 5 writes of views and checkpoint per
 * second per projection instead of one each per batch. Measured on the 2-core box (README, write
 * path): with six services projecting keys.events, the per-batch writes were most of FerretDB's work
 * per key creation.
 */
const PERSIST_INTERVAL_MS = 200;
/** Views a rebuild hands to the live persist at a time (see rebuild()). */
const REBUILD_PERSIST_SLICE = 1000;
/** How long stop() waits for the last persist. */
const STOP_PERSIST_MS = 2_000;

/**
 * A projection of one topic into memory, persisted in the service's own database: the views and
 * a per-partition checkpoint are written before the consumer commits, so a restart loads them
 * and reads only what it has not seen. Readiness waits for the end of the topic as it was at
 * start; staleness is bounded; operators can rebuild it from the start of the topic and swap.
 *
 * The consumer is supervised: a crash (broker restart, coordinator move, a member the coordinator
 * dropped, a failed commit or persist) restarts it from the persisted checkpoint with a bounded
 * backoff, and a start while Kafka or the database is not up yet is retried the same way in the
 * background. A message that cannot be parsed or applied goes to `dead_letters`; views changed
 * since the last successful persist stay dirty until one succeeds, so a retried batch of
 * duplicates still writes them.
 */
export class IndexedProjection<V extends ConsumerView, I extends ProjectionIndex<V>> implements RebuildableProjection, EventConsumer {
  readonly name: string;
  private current: I;
  private readonly views: Collection<ViewDoc>;
  private readonly checkpoints: Collection<CheckpointDoc>;
  private readonly deadLetters: DeadLetters;
  private consumer: Consumer | undefined;
  private readonly positions = new Map<number, bigint>();
  /** Offset after the last message applied to the index, per partition (ahead of `positions` while a batch persists). */
  private readonly appliedThrough = new Map<number, bigint>();
  private readonly startupEnd = new Map<number, bigint>();
  /** Highest offsets seen per partition (for the lag when the broker cannot be asked). */
  private readonly highWatermarks = new Map<number, bigint>();
  private startupEndKnown = false;
  private loaded = false;
  private caughtUp = false;
  private counts = { applied: 0, duplicates: 0, gaps: 0, malformed: 0 };
  private lastEventAt: string | null = null;
  private lastFetchAtMs: number | undefined;
  /** For readiness only (never for staleness): the consumer is working through a batch. */
  private lastProgressAtMs = 0;
  private startedAtMs = 0;
  private readonly listeners = new Set<(view: V) => void>();
  /** Ids whose view changed since the last successful persist. */
  private readonly dirty = new Set<string>();
  /** The flush in progress (flushes run one at a time). */
  private flushing: Promise<unknown> = Promise.resolve();
  /** Offset after the last message applied, per partition, not yet in the persisted checkpoint. */
  private readonly unpersisted = new Map<number, bigint>();
  private lastPersistAtMs = 0;
  private persistTimer: NodeJS.Timeout | undefined;
  private readonly persistIntervalMs: number;
  private readonly pendingLetters = new Map<string, DeadLetter>();
  private deadLetterCount = 0;
  private state: ConsumerState = 'stopped';
  private stopping = false;
  private readonly restarts = new ConsumerRestarts();
  private lastError: { message: string; at: string } | null = null;
  private readonly snapshots: ProjectionSnapshots<V> | undefined;
  /** A rebuild is running: its swapped-in index holds views not persisted yet, so no snapshot is cut. */
  private snapshotHolds = 0;
  /** The consumer group this instance reads with (`<groupId>.<instanceId>`, see per-instance.ts). */
  private readonly groupId: string;
  /** The `@EventPattern` handlers (EventConsumerTransport, libs/service-runtime); without, the index's own apply. */
  private dispatch: ((event: EventEnvelope, index: I) => ReturnType<ProjectionIndex<V>['apply']>) | undefined;
  private readonly loadedListeners: (() => void)[] = [];
  /** The last events the live consumer applied, with their times (GET /admin/projections/{name}/applied/{id}). */
  private readonly recent = new AppliedChanges();

  constructor(private readonly kafka: Kafka, connection: Connection, private readonly options: IndexedProjectionOptions<V, I>) {
    this.name = options.name;
    this.current = options.createIndex();
    this.groupId = instanceGroupId(options.groupId, options.instanceId);
    this.persistIntervalMs = options.persistIntervalMs ?? PERSIST_INTERVAL_MS;
    this.views = connection.collection<ViewDoc>(instanceCollection(options.collection, options.instanceId));
    this.checkpoints = connection.collection<CheckpointDoc>('projection_checkpoints');
    this.deadLetters = new DeadLetters(connection);
    this.snapshots = options.snapshot
      ? new ProjectionSnapshots<V>({ ...options.snapshot, projection: options.name, topic: options.topic }, () => this.snapshotCut(), options.log, options.name)
      : undefined;
  }

  /** The state the service reads; replaced in one assignment when a rebuild swaps in. */
  get index(): I {
    return this.current;
  }

  /** Called with each view the live consumer changes (after it is persisted). */
  onChange(listener: (view: V) => void): void {
    this.listeners.add(listener);
  }

  get eventTypes(): readonly string[] {
    return this.options.eventTypes ?? [];
  }

  /** Every event, live or read by a rebuild, is applied through `dispatch` from now on (set before start). */
  dispatchThrough(dispatch: (event: EventEnvelope, index: I) => ReturnType<ProjectionIndex<V>['apply']>): void {
    this.dispatch = dispatch;
  }

  /** Called once the persisted state is loaded (at once when it already is), before any event is read on from it. */
  onLoaded(listener: () => void): void {
    if (this.loaded) listener();
    else this.loadedListeners.push(listener);
  }

  /**
   * Loads the persisted state and starts the consumer. Never fails the app: when Kafka or the
   * database is not up yet, it logs, stays not ready, and retries in the background.
   */
  async start(): Promise<void> {
    this.stopping = false;
    this.startedAtMs = Date.now();
    this.state = 'restarting';
    this.options.freshness?.start();
    this.snapshots?.start();
    try {
      await this.bootstrap();
    } catch (e) {
      this.failed(e, 'could not start');
    }
  }

  /** Nest calls this on shutdown for the providers that made one. */
  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.state = 'stopped';
    this.restarts.cancel();
    const consumer = this.consumer;
    if (this.persistTimer) clearTimeout(this.persistTimer);
    this.persistTimer = undefined;
    // What was applied since the last persist is written before leaving (a bounded wait: a
    // database that is away leaves it to the restart, which re-reads it from the checkpoint).
    if (consumer && this.unpersisted.size > 0) await withDeadline(this.persistApplied(consumer, async () => undefined), STOP_PERSIST_MS, 'the last persist did not finish in time').catch(() => undefined);
    this.consumer = undefined;
    await consumer?.disconnect().catch(() => undefined);
    await this.options.freshness?.stop();
    await this.snapshots?.stop();
  }

  /** Writes a snapshot now from a consistent cut (tests; see ProjectionSnapshots.writeNow). */
  async writeSnapshot(timeoutMs?: number): Promise<WrittenSnapshot | undefined> {
    return this.snapshots?.writeNow(timeoutMs);
  }

  /** False while catching up after start, or when the broker has not been heard from for too long. */
  available(nowMs: number = Date.now()): { ok: true } | { ok: false; reason: string } {
    if (!this.caughtUp) return { ok: false, reason: `the ${this.name} projection is still catching up with ${this.options.topic}` };
    const bound = this.options.maxStalenessMs;
    if (bound > 0) {
      // Real time since the broker last answered, not business time: Date.now(), not an injected clock.
      // Only a running consumer's fetches count (see startConsumer), so a dead one stops confirming.
      // With a freshness source, only what the source confirmed counts (source-watermarks.ts).
      const confirmed = this.options.freshness?.confirmedUntilMs(() => this.appliedPositions());
      if (confirmed !== undefined && nowMs - confirmed > bound) {
        return { ok: false, reason: `the newest watermark of ${this.options.topic} applied is ${confirmed > 0 ? `${Math.round((nowMs - confirmed) / 1000)} s old` : 'none yet'} (bound ${Math.round(bound / 1000)} s)` };
      }
      const last = this.lastFetchAtMs ?? this.startedAtMs;
      if (confirmed === undefined && nowMs - last > bound) {
        return { ok: false, reason: `no confirmed read of ${this.options.topic} for ${Math.round((nowMs - last) / 1000)} s (bound ${Math.round(bound / 1000)} s)` };
      }
    }
    return { ok: true };
  }

  /** Ready: caught up, fresh, and its consumer running and fetching. */
  readiness(nowMs: number = Date.now()): { ready: boolean; detail?: string } {
    const a = this.available(nowMs);
    if (!a.ok) return { ready: false, detail: this.withConsumer(a.reason) };
    if (this.state !== 'running') return { ready: false, detail: this.withConsumer(`the ${this.name} projection's consumer is ${this.state}`) };
    const silentMs = nowMs - Math.max(this.lastFetchAtMs ?? 0, this.lastProgressAtMs, this.restarts.runningSince);
    if (silentMs > FETCH_SILENCE_NOT_READY_MS) {
      return { ready: false, detail: `the ${this.name} projection's consumer has not fetched from ${this.options.topic} for ${Math.round(silentMs / 1000)} s` };
    }
    return { ready: true, detail: `${this.current.size} items` };
  }

  consumerStatus(): ConsumerStatus {
    return {
      consumer: this.state,
      restarts: this.restarts.total,
      lastError: this.lastError?.message ?? null,
      lastErrorAt: this.lastError?.at ?? null,
      deadLetters: this.deadLetterCount,
    };
  }

  async status(): Promise<Omit<ProjectionStatus, 'rebuild'> & ConsumerStatus & {
    groupId: string; instanceId?: string; malformed: number; lastFetchAt: string | null; watermarks?: WatermarkStatus; snapshot: SnapshotStatus | null;
  }> {
    let lag = 0;
    const positions: Record<string, string> = {};
    // Readable when Kafka is not: the lag then comes from the last high watermarks seen.
    const offsets = await this.topicOffsets().catch(() => undefined);
    const partitions = offsets ?? [...this.highWatermarks].map(([partition, high]) => ({ partition, high: high.toString(), low: '0' }));
    // What the index has applied (what authorization sees), not what is persisted yet (at most 200 ms behind).
    const applied = this.appliedPositions();
    for (const p of partitions) {
      const high = BigInt(p.high);
      this.highWatermarks.set(p.partition, high);
      const at = applied.get(p.partition) ?? BigInt(p.low);
      positions[String(p.partition)] = at.toString();
      lag += Math.max(0, Number(high - at));
    }
    return {
      name: this.name,
      topic: this.options.topic,
      groupId: this.groupId,
      ...(this.options.instanceId !== undefined ? { instanceId: this.options.instanceId } : {}),
      positions,
      lag,
      lastEventAt: this.lastEventAt,
      items: this.current.size,
      caughtUp: this.caughtUp,
      applied: this.counts.applied,
      duplicates: this.counts.duplicates,
      gaps: this.counts.gaps,
      malformed: this.counts.malformed,
      lastFetchAt: this.lastFetchAtMs !== undefined ? new Date(this.lastFetchAtMs).toISOString() : null,
      snapshot: this.snapshots?.status() ?? null,
      ...this.consumerStatus(),
      ...(this.options.freshness ? { watermarks: this.options.freshness.status() } : {}),
    };
  }

  /** See projection-rebuild.ts: rebuilt into a new index while this one serves, then swapped. */
  async rebuild(onProgress: (p: RebuildProgress) => void, signal: AbortSignal, onPhase?: (phase: RebuildPhase) => void): Promise<RebuildResult> {
    this.snapshotHolds++;
    try {
      return await this.rebuildNow(onProgress, signal, onPhase);
    } finally {
      this.snapshotHolds--;
    }
  }

  private async rebuildNow(onProgress: (p: RebuildProgress) => void, signal: AbortSignal, onPhase?: (phase: RebuildPhase) => void): Promise<RebuildResult> {
    return rebuildIndexedProjection<V, I>({
      kafka: this.kafka,
      topic: this.options.topic,
      createIndex: this.options.createIndex,
      apply: (index, event) => this.applyTo(index, event),
      // The rebuild skips what the live consumer dead-letters.
      readEvent: (value) => {
        const parsed = this.options.parse(value);
        return parsed.ok ? parsed.event : undefined;
      },
      live: () => this.current,
      appliedPositions: () => this.appliedPositions(),
      swapIndex: (fresh) => {
        this.current = fresh;
      },
      adoptCounts: (counts, lastEventAt) => {
        this.counts = counts;
        this.lastEventAt = lastEventAt;
      },
      // Through the live consumer's own persist (serialized with its batches, read from the index
      // at write time), a slice at a time so its batches get their turn in between.
      persistViews: async (ids, gone, persistSignal) => {
        let written = 0;
        for (let i = 0; i < ids.length; i += REBUILD_PERSIST_SLICE) {
          persistSignal.throwIfAborted();
          for (const id of ids.slice(i, i + REBUILD_PERSIST_SLICE)) this.dirty.add(id);
          written += (await this.flush(async () => undefined)).length;
        }
        const { deleted } = await writeViewsById(this.views, this.current, [], gone, persistSignal);
        return { written, deleted };
      },
    }, onProgress, signal, onPhase);
  }

  /** Offset after the last message applied in memory, per partition (persisted or not). */
  private appliedPositions(): Map<number, bigint> {
    const at = new Map(this.positions);
    for (const [p, o] of this.appliedThrough) if (o > (at.get(p) ?? 0n)) at.set(p, o);
    return at;
  }

  /**
   * The snapshot when there is a usable one (then the consumer reads from exactly its offsets),
   * else every view and the checkpoint from the database.
   */
  private async loadPersisted(): Promise<void> {
    const checkpoints = await this.readCheckpoints();
    // Into a fresh index, swapped in only once the whole file checked out.
    const fresh = this.options.createIndex();
    const collected: V[] = [];
    const snapshot = await this.snapshots?.load(checkpoints, (views) => {
      if (fresh.loadMore) fresh.loadMore(views);
      else for (const v of views) collected.push(v);
    });
    if (snapshot) {
      if (!fresh.loadMore) fresh.load(collected);
      this.current = fresh;
      this.positions.clear();
      for (const [p, o] of snapshot.positions) this.positions.set(p, o);
      this.options.log.log(`${this.name}: loaded ${snapshot.items} ${this.options.itemNoun ?? 'items'} from the snapshot ${this.snapshots?.path} ` +
        `(taken ${snapshot.header.takenAt}); reading from its ${describePositions(snapshot.positions)}`);
      return;
    }
    await this.loadFromDatabase(checkpoints);
  }

  /** This instance's persisted checkpoint of the topic, per partition. */
  private async readCheckpoints(): Promise<Map<number, bigint>> {
    const mine = this.options.instanceId !== undefined ? { instanceId: this.options.instanceId } : { instanceId: { $exists: false } };
    const checkpoints = new Map<number, bigint>();
    for (const c of await this.checkpoints.find({ topic: this.options.topic, ...mine }).toArray()) checkpoints.set(c.partition, BigInt(c.offset));
    return checkpoints;
  }

  private async loadFromDatabase(checkpoints: ReadonlyMap<number, bigint>, fallbackReason?: string): Promise<void> {
    const docs = await this.views.find({}).toArray();
    this.current.load(docs.map((d) => {
      const { _id: _ignored, ...view } = d;
      // No type can replace this cast: a document read from the database carries no type, and
      // this collection holds only views this projection wrote from its index (a V each).
      return view as unknown as V;
    }));
    this.positions.clear();
    for (const [p, o] of checkpoints) this.positions.set(p, o);
    this.snapshots?.loadedFromDatabase(fallbackReason);
    if (docs.length > 0) this.options.log.log(`${this.name}: loaded ${docs.length} ${this.options.itemNoun ?? 'items'} and the checkpoint from the database`);
  }

  /**
   * A consistent cut for a snapshot, or undefined when there is none right now: every view changed
   * so far is persisted (nothing dirty, no dead letter pending, no rebuild's unpersisted index), and
   * nothing was applied past the persisted checkpoint. Then the index is exactly the state at
   * `positions`, all of it in the database too, and a restart from it reading on from `positions`
   * neither skips an event nor leaves one unwritten. Synchronous: nothing applies in between.
   */
  private snapshotCut(): SnapshotCut<V> | undefined {
    if (!this.loaded || this.snapshotHolds > 0 || this.dirty.size > 0 || this.pendingLetters.size > 0 || this.positions.size === 0) return undefined;
    for (const [p, at] of this.appliedThrough) if (at > (this.positions.get(p) ?? 0n)) return undefined;
    const index = this.current;
    let capture: IndexCapture<V>;
    if (index.capture) {
      capture = index.capture();
    } else {
      const all = index.snapshot();
      capture = { size: all.length, views: (start, end) => all.slice(start, end) };
    }
    return { positions: new Map(this.positions), capture };
  }

  /**
   * Where the consumer starts on every partition: the persisted position (the snapshot's or the
   * database checkpoint's, or the in-memory one after a supervised restart), or the partition's
   * first offset where nothing was read yet. The consumer seeks there itself once it has joined
   * (startConsumer), whatever the group has committed: a group's offsets can only be set from
   * outside while it has no member (right after a `kill -9` the dead one stays until its session
   * times out), and kafkajs's `admin.setOffsets` joins the group with a consumer of its own and
   * waits for its first fetch (5 s of every start, measured).
   */
  private startOffsets(offsets: readonly { partition: number; low: string }[]): Map<number, bigint> {
    const start = new Map<number, bigint>();
    for (const { partition, low } of offsets) start.set(partition, this.positions.get(partition) ?? BigInt(low));
    return start;
  }

  private async saveCheckpoints(at: ReadonlyMap<number, bigint>): Promise<void> {
    const instance = this.options.instanceId;
    await this.checkpoints.bulkWrite([...at].map(([partition, offset]) => ({
      replaceOne: {
        filter: { _id: instanceCheckpointId(this.options.topic, partition, instance) },
        replacement: { topic: this.options.topic, partition, offset: offset.toString(), ...(instance !== undefined ? { instanceId: instance } : {}) },
        upsert: true,
      },
    })), { ordered: false });
  }

  /**
   * One supervised attempt: load the persisted state (once), find where to start on each partition,
   * learn where the topic ended at the first start (readiness waits for it), then run a consumer.
   * A restart keeps the in-memory state, which is never behind the database: views not yet
   * persisted stay dirty, and the events re-read from the checkpoint are duplicates.
   */
  private async bootstrap(): Promise<void> {
    const admin = this.kafka.admin();
    let offsets: { partition: number; low: string; high: string }[];
    await admin.connect();
    try {
      await ensureTopics(admin, [eventTopic(this.options.topic)]);
      if (!this.loaded) {
        await this.loadPersisted();
        this.deadLetterCount = await this.deadLetters.count(this.name, this.options.topic);
        this.loaded = true;
        for (const listener of this.loadedListeners.splice(0)) listener();
      }
      offsets = await admin.fetchTopicOffsets(this.options.topic);
      if (!this.startupEndKnown) {
        for (const p of offsets) this.startupEnd.set(p.partition, BigInt(p.high));
        this.startupEndKnown = true;
      }
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    this.updateCaughtUp();
    if (this.stopping) return;
    await this.startConsumer(this.startOffsets(offsets));
  }

  private async startConsumer(startAt: ReadonlyMap<number, bigint>): Promise<void> {
    const consumer = this.kafka.consumer({ groupId: this.groupId, ...CONSUMER_CONFIG });
    this.consumer = consumer;
    consumer.on(consumer.events.FETCH, () => {
      // A fetch of this consumer while it runs, even an empty one, confirms the projection is current;
      // a replaced or crashed consumer's late events confirm nothing.
      if (this.consumer === consumer && this.state === 'running') this.lastFetchAtMs = Date.now();
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (this.consumer === consumer) this.failed(payload.error, 'consumer crashed');
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => this.handleBatch(consumer, payload) });
      // In the same turn as run() resolving (joined, no batch handled yet): kafkajs applies a seek
      // before its next fetch and marks a batch fetched before it stale (handleBatch drops it).
      const start = [...startAt].map(([partition, offset]) => ({ topic: this.options.topic, partition, offset: offset.toString() }));
      for (const at of start) consumer.seek(at);
      // And the group's committed offsets become those positions at once, as a member may commit
      // them: a rejoin before this consumer's first commit on a partition (a coordinator move)
      // must resume there too, not from an older process's commit past them.
      await consumer.commitOffsets(start);
    } catch (e) {
      if (this.consumer === consumer) this.consumer = undefined;
      await consumer.disconnect().catch(() => undefined);
      throw e;
    }
    if (this.consumer !== consumer || this.stopping) return;
    this.state = 'running';
    this.restarts.running();
    if (this.restarts.total > 0) this.options.log.log(`${this.name}: consumer running again (restart ${this.restarts.total})`);
  }

  /**
   * Supervision: stop what is left of the consumer and start again from the persisted checkpoint
   * after a bounded, growing delay. One restart at a time; each is logged once.
   */
  private failed(error: unknown, what: string): void {
    if (this.stopping) return;
    const message = `${what}: ${errorText(error)}`;
    this.lastError = { message, at: new Date().toISOString() };
    this.state = 'restarting';
    const consumer = this.consumer;
    this.consumer = undefined;
    const delay = this.restarts.restartConsumer(consumer, () => this.bootstrap(), {
      stopped: () => this.stopping,
      failed: (e) => this.failed(e, 'restart failed'),
    });
    if (delay === undefined) return;
    this.options.log.warn(`${this.name}: ${message}; restarting from the persisted checkpoint in ${delay} ms (restart ${this.restarts.total})`);
  }

  private async handleBatch(consumer: Consumer, { batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    this.highWatermarks.set(batch.partition, BigInt(batch.highWatermark));
    let handled = 0;
    for (const message of batch.messages) {
      // A rebalance took the partition or a seek moved it: what is applied stays dirty, and the rest is re-read.
      if (!isRunning() || isStale()) return;
      this.consume(batch.topic, batch.partition, message);
      // What a rebuild compares its read position with before it swaps (see projection-rebuild.ts).
      this.appliedThrough.set(batch.partition, BigInt(message.offset) + 1n);
      if (++handled % PERSIST_CHUNK === 0) await this.beat(heartbeat);
    }
    const last = batch.messages[batch.messages.length - 1];
    if (!last) return;
    const next = BigInt(last.offset) + 1n;
    // Applied in memory (authorization reads the index): the next fetch goes on from here.
    resolveOffset(last.offset);
    this.unpersisted.set(batch.partition, next);
    // Persisted (views, dead letters, then the checkpoint, then the group's commit) at most every
    // persistIntervalMs while events keep coming: one write of each per interval, not per batch
    // (each is a round trip to the database, and six services write one per event otherwise). A
    // crash before the persist re-reads from the persisted checkpoint: duplicates, applied once.
    if (this.persistDue()) {
      // Inline: kafkajs re-delivers on a failure, or the consumer crashes and supervision restarts
      // it from the checkpoint; either way nothing is skipped.
      await this.persistApplied(consumer, () => this.beat(heartbeat));
    } else {
      this.persistLater(consumer);
    }
    await heartbeat();
  }

  /** A persist is due: the interval since the last one passed, or enough is dirty to write now. */
  private persistDue(): boolean {
    return Date.now() - this.lastPersistAtMs >= this.persistIntervalMs || this.dirty.size >= PERSIST_CHUNK;
  }

  /** The trailing persist of what batches applied since the last one (no batch may come soon). */
  private persistLater(consumer: Consumer): void {
    if (this.persistTimer) return;
    const wait = Math.max(0, this.lastPersistAtMs + this.persistIntervalMs - Date.now());
    this.persistTimer = setTimeout(() => {
      this.persistTimer = undefined;
      if (this.consumer !== consumer || this.stopping || this.unpersisted.size === 0) return;
      this.persistApplied(consumer, async () => undefined).catch((e: unknown) => {
        if (this.consumer === consumer) this.failed(e, 'persist failed');
      });
    }, wait);
  }

  /**
   * Writes everything applied so far: the dirty views and dead letters, then the checkpoint of each
   * partition read (one bulk write), then commits the same offsets for the group. Serialized with
   * every other persist; the positions are taken in the same synchronous step as the dirty views,
   * so the checkpoint never runs ahead of what is written.
   */
  private persistApplied(consumer: Consumer, heartbeat: () => Promise<void>): Promise<void> {
    const run = this.flushing.then(async () => {
      this.lastPersistAtMs = Date.now();
      const at = new Map(this.unpersisted);
      this.unpersisted.clear();
      try {
        const persisted = await this.flushNow(heartbeat);
        if (at.size > 0) await this.saveCheckpoints(at);
        for (const [p, o] of at) if (o > (this.positions.get(p) ?? -1n)) this.positions.set(p, o);
        this.updateCaughtUp();
        for (const view of persisted) for (const l of this.listeners) l(view);
      } catch (e) {
        for (const [p, o] of at) if (!this.unpersisted.has(p)) this.unpersisted.set(p, o);
        throw e;
      }
      // The group's commit follows the checkpoint (which is what a restart seeks to).
      if (at.size > 0 && this.consumer === consumer) {
        await consumer.commitOffsets([...at].map(([partition, o]) => ({ topic: this.options.topic, partition, offset: o.toString() })));
      }
    });
    this.flushing = run.catch(() => undefined);
    return run;
  }

  private async beat(heartbeat: () => Promise<void>): Promise<void> {
    this.lastProgressAtMs = Date.now();
    await heartbeat();
  }

  /** Applies one message to the index in memory, or records it as a dead letter. */
  private consume(topic: string, partition: number, message: KafkaMessage): void {
    const parsed = this.options.parse(message.value);
    if (!parsed.ok) {
      this.counts.malformed++;
      this.deadLetter(topic, partition, message, parsed.reason);
      return;
    }
    const event = parsed.event;
    let result: ReturnType<ProjectionIndex<V>['apply']>;
    try {
      result = this.applyTo(this.current, event);
    } catch (e) {
      this.deadLetter(topic, partition, message, `${event.type} v${event.version} of ${event.aggregateId} was not applied: ${errorText(e)}`);
      return;
    }
    if (result === 'duplicate') {
      this.counts.duplicates++;
      return;
    }
    if (result === 'quarantined') {
      this.counts.gaps++;
      this.deadLetter(topic, partition, message, `${event.type} v${event.version} of ${event.aggregateId} is past a gap in its versions ` +
        'and could grant access, so it is not applied (the next expected version still applies when it comes)');
      return;
    }
    if (result === 'gap') {
      this.counts.gaps++;
      this.options.log.warn(`${this.name}: gap before ${event.type} v${event.version} of ${event.aggregateId}: an earlier event was not seen`);
    }
    this.counts.applied++;
    if (this.lastEventAt === null || event.occurredAt > this.lastEventAt) this.lastEventAt = event.occurredAt;
    this.dirty.add(event.aggregateId);
    this.recent.record({
      aggregateId: event.aggregateId, version: event.version, type: event.type, partition, offset: message.offset, occurredAt: event.occurredAt,
      producedAtMs: Number(message.timestamp), appliedAtMs: highResolutionNow(),
    });
  }

  /** See RebuildableProjection.whenApplied: answered from the recent changes, then the index, then by waiting. */
  async whenApplied(aggregateId: string, version: number, waitMs: number, signal?: AbortSignal): Promise<AppliedStatus> {
    const held = (): number | null => this.current.get(aggregateId)?.version ?? null;
    let change = this.recent.find(aggregateId, version);
    // Applied before the last changes (or loaded from a snapshot or the database): no times to tell.
    if (!change && (held() ?? 0) < version) change = await this.recent.wait(aggregateId, version, waitMs, signal);
    const now = held();
    return { projection: this.name, aggregateId, applied: change !== undefined || (now ?? 0) >= version, version: now, change: change ? describeChange(change) : null };
  }

  private applyTo(index: I, event: EventEnvelope): ReturnType<ProjectionIndex<V>['apply']> {
    return this.dispatch ? this.dispatch(event, index) : index.apply(event);
  }

  private deadLetter(topic: string, partition: number, message: KafkaMessage, error: string): void {
    const letter = DeadLetters.letter(this.name, topic, partition, message, error, new Date());
    this.pendingLetters.set(letter.id, letter);
  }

  /**
   * Writes every dirty view and pending dead letter; they stay pending if a write fails. One flush
   * at a time (a rebuild's persist goes through here too), and an id is taken out of `dirty` before
   * its write, so an apply during the write marks it again rather than being lost.
   */
  private flush(heartbeat: () => Promise<void>): Promise<V[]> {
    const run = this.flushing.then(() => this.flushNow(heartbeat));
    this.flushing = run.catch(() => undefined);
    return run;
  }

  private async flushNow(heartbeat: () => Promise<void>): Promise<V[]> {
    const ids = [...this.dirty];
    const written: V[] = [];
    for (let i = 0; i < ids.length; i += FERRETDB_SAFE_WRITE_BATCH) {
      const slice = ids.slice(i, i + FERRETDB_SAFE_WRITE_BATCH);
      const chunk: V[] = [];
      for (const id of slice) {
        const view = this.current.get(id);
        if (view) chunk.push(view);
        this.dirty.delete(id);
      }
      if (chunk.length > 0) {
        try {
          await this.views.bulkWrite(chunk.map((v) => ({
            replaceOne: { filter: { _id: v.id }, replacement: { ...v, _id: v.id }, upsert: true },
          })), { ordered: false });
        } catch (e) {
          for (const id of slice) this.dirty.add(id);
          throw e;
        }
      }
      written.push(...chunk);
      if (i + FERRETDB_SAFE_WRITE_BATCH < ids.length && (i / FERRETDB_SAFE_WRITE_BATCH) % 10 === 9) await heartbeat();
    }
    const letters = [...this.pendingLetters.values()];
    if (letters.length > 0) {
      const added = await this.deadLetters.write(letters);
      for (const l of letters) this.pendingLetters.delete(l.id);
      this.deadLetterCount += added;
      // Logged once: a letter re-read after a restart is already in the collection (not added again).
      if (added > 0) {
        for (const l of letters.slice(0, 5)) this.options.log.warn(`${this.name}: dead letter at ${l.topic}/${l.partition}@${l.offset}: ${l.error}`);
        if (letters.length > 5) this.options.log.warn(`${this.name}: ${letters.length - 5} more dead letters in this batch (GET /admin/dead-letters)`);
      }
    }
    return written;
  }

  private async topicOffsets(): Promise<{ partition: number; high: string; low: string }[]> {
    const admin = this.kafka.admin();
    try {
      return await withDeadline((async () => {
        await admin.connect();
        return admin.fetchTopicOffsets(this.options.topic);
      })(), 1_500, 'Kafka did not answer within 1.5 s');
    } finally {
      void admin.disconnect().catch(() => undefined);
    }
  }

  private withConsumer(reason: string): string {
    return this.lastError && this.state !== 'running' ? `${reason} (last error: ${this.lastError.message})` : reason;
  }

  private updateCaughtUp(): void {
    if (this.caughtUp || !this.startupEndKnown) return;
    for (const [partition, end] of this.startupEnd) {
      if (end > 0n && (this.positions.get(partition) ?? 0n) < end) return;
    }
    this.caughtUp = true;
    this.options.log.log(`${this.name}: caught up with ${this.options.topic}: ${this.current.size} ${this.options.itemNoun ?? 'items'}`);
  }
}
