import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Collection, Connection } from 'mongoose';
import type { EventEnvelope } from '@keyward/contracts';
import { ensureTopics, eventTopic } from '@keyward/messaging';
import type { ProjectionStatus, RebuildableProjection, RebuildProgress, RebuildResult } from './projection';
import { rebuildIndexedProjection } from './projection-rebuild';

/** An in-memory projection state that applies each aggregate's events once, by version. */
export interface ProjectionIndex<V extends { readonly id: string }> {
  apply(event: EventEnvelope): 'applied' | 'duplicate' | 'gap';
  get(id: string): V | undefined;
  snapshot(): V[];
  load(views: readonly V[]): void;
  readonly size: number;
}

export interface IndexedProjectionOptions<V extends { readonly id: string }, I extends ProjectionIndex<V>> {
  readonly name: string;
  readonly topic: string;
  readonly groupId: string;
  /** Collection of the persisted views, in the service's own database. */
  readonly collection: string;
  readonly createIndex: () => I;
  /** The message as an event this projection understands, or undefined to skip it. */
  readonly parse: (value: Buffer | null) => EventEnvelope | undefined;
  /** 0: no bound. See DESIGN section 5. */
  readonly maxStalenessMs: number;
  /** What the items are called in log lines (`keys`, `technicians`). */
  readonly itemNoun?: string;
  readonly log: { log(message: string): void; warn(message: string): void };
}

interface CheckpointDoc { _id: string; topic: string; partition: number; offset: string }
/** A persisted view: the view's own fields plus its id. */
interface ViewDoc { _id: string; [field: string]: unknown }

/**
 * A projection of one topic into memory, persisted in the service's own database: the views and
 * a per-partition checkpoint are written before the consumer commits, so a restart loads them
 * and reads only what it has not seen. Readiness waits for the end of the topic as it was at
 * start; staleness is bounded; operators can rebuild it from the start of the topic and swap.
 */
export class IndexedProjection<V extends { readonly id: string }, I extends ProjectionIndex<V>> implements RebuildableProjection {
  readonly name: string;
  private current: I;
  private readonly views: Collection<ViewDoc>;
  private readonly checkpoints: Collection<CheckpointDoc>;
  private consumer: Consumer | undefined;
  private readonly positions = new Map<number, bigint>();
  private readonly startupEnd = new Map<number, bigint>();
  private caughtUp = false;
  private counts = { applied: 0, duplicates: 0, gaps: 0, malformed: 0 };
  private lastEventAt: string | null = null;
  private lastFetchAtMs: number | undefined;
  private startedAtMs = 0;
  private readonly listeners = new Set<(view: V) => void>();

  constructor(private readonly kafka: Kafka, connection: Connection, private readonly options: IndexedProjectionOptions<V, I>) {
    this.name = options.name;
    this.current = options.createIndex();
    this.views = connection.collection<ViewDoc>(options.collection);
    this.checkpoints = connection.collection<CheckpointDoc>('projection_checkpoints');
  }

  /** The state the service reads; replaced in one assignment when a rebuild swaps in. */
  get index(): I {
    return this.current;
  }

  /** Called with each view the live consumer changes (after it is persisted). */
  onChange(listener: (view: V) => void): void {
    this.listeners.add(listener);
  }

  async start(): Promise<void> {
    this.startedAtMs = Date.now();
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await ensureTopics(admin, [eventTopic(this.options.topic)]);
      await this.loadPersisted();
      await this.alignGroupOffsets(admin);
      for (const p of await admin.fetchTopicOffsets(this.options.topic)) this.startupEnd.set(p.partition, BigInt(p.high));
    } finally {
      await admin.disconnect();
    }
    this.updateCaughtUp();
    await this.startConsumer();
  }

  /** Nest calls this on shutdown for the providers that made one. */
  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    await consumer?.disconnect().catch(() => undefined);
  }

  /** False while catching up after start, or when the broker has not been heard from for too long. */
  available(nowMs: number = Date.now()): { ok: true } | { ok: false; reason: string } {
    if (!this.caughtUp) return { ok: false, reason: `the ${this.name} projection is still catching up with ${this.options.topic}` };
    const bound = this.options.maxStalenessMs;
    if (bound > 0) {
      // Real time since the broker last answered, not business time: Date.now(), not an injected clock.
      const last = this.lastFetchAtMs ?? this.startedAtMs;
      if (nowMs - last > bound) {
        return { ok: false, reason: `no confirmed read of ${this.options.topic} for ${Math.round((nowMs - last) / 1000)} s (bound ${Math.round(bound / 1000)} s)` };
      }
    }
    return { ok: true };
  }

  readiness(): { ready: boolean; detail?: string } {
    const a = this.available();
    return a.ok ? { ready: true, detail: `${this.current.size} items` } : { ready: false, detail: a.reason };
  }

  async status(): Promise<Omit<ProjectionStatus, 'rebuild'> & { groupId: string; malformed: number; lastFetchAt: string | null }> {
    const admin = this.kafka.admin();
    await admin.connect();
    let lag = 0;
    const positions: Record<string, string> = {};
    try {
      for (const p of await admin.fetchTopicOffsets(this.options.topic)) {
        const at = this.positions.get(p.partition) ?? BigInt(p.low);
        positions[String(p.partition)] = at.toString();
        lag += Math.max(0, Number(BigInt(p.high) - at));
      }
    } finally {
      await admin.disconnect();
    }
    return {
      name: this.name,
      topic: this.options.topic,
      groupId: this.options.groupId,
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
    };
  }

  /** See projection-rebuild.ts: rebuilt into a new index while this one serves, then swapped. */
  async rebuild(onProgress: (p: RebuildProgress) => void): Promise<RebuildResult> {
    return rebuildIndexedProjection<V, I>({
      kafka: this.kafka,
      topic: this.options.topic,
      createIndex: this.options.createIndex,
      parse: this.options.parse,
      views: this.views,
      live: () => this.current,
      swapIndex: (fresh) => {
        this.current = fresh;
      },
      adoptCounts: (counts, lastEventAt) => {
        this.counts = counts;
        this.lastEventAt = lastEventAt;
      },
    }, onProgress);
  }

  private async loadPersisted(): Promise<void> {
    const docs = await this.views.find({}).toArray();
    this.current.load(docs.map((d) => {
      const { _id: _ignored, ...view } = d;
      return view as unknown as V;
    }));
    for (const c of await this.checkpoints.find({ topic: this.options.topic }).toArray()) this.positions.set(c.partition, BigInt(c.offset));
    if (docs.length > 0) this.options.log.log(`${this.name}: loaded ${docs.length} ${this.options.itemNoun ?? 'items'} and the checkpoint from the database`);
  }

  /**
   * The database is the truth of what was applied: point the group at the persisted checkpoint
   * (or at the start of the topic when there is none, e.g. a fresh or wiped database).
   */
  private async alignGroupOffsets(admin: Admin): Promise<void> {
    try {
      if (this.positions.size === 0) {
        await admin.resetOffsets({ groupId: this.options.groupId, topic: this.options.topic, earliest: true });
      } else {
        await admin.setOffsets({
          groupId: this.options.groupId,
          topic: this.options.topic,
          partitions: [...this.positions].map(([partition, offset]) => ({ partition, offset: offset.toString() })),
        });
      }
    } catch (e) {
      // Another member of the group is running: it owns the offsets; keep them.
      this.options.log.warn(`${this.name}: could not align the group's offsets with the checkpoint: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private async saveCheckpoint(partition: number, offset: bigint): Promise<void> {
    await this.checkpoints.replaceOne({ _id: `${this.options.topic}:${partition}` },
      { topic: this.options.topic, partition, offset: offset.toString() }, { upsert: true });
  }

  private async startConsumer(): Promise<void> {
    const consumer = this.kafka.consumer({ groupId: this.options.groupId, sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 500 });
    this.consumer = consumer;
    consumer.on(consumer.events.FETCH, () => {
      this.lastFetchAtMs = Date.now();
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => this.handleBatch(consumer, payload) });
  }

  private async handleBatch(consumer: Consumer, { batch, resolveOffset, heartbeat }: EachBatchPayload): Promise<void> {
    const changed = new Map<string, V>();
    for (const message of batch.messages) {
      const event = this.options.parse(message.value);
      if (!event) {
        this.counts.malformed++;
        this.options.log.warn(`${this.name}: skipped a message it cannot read at ${batch.topic}/${batch.partition}@${message.offset}`);
        continue;
      }
      const result = this.current.apply(event);
      if (result === 'duplicate') {
        this.counts.duplicates++;
        continue;
      }
      if (result === 'gap') {
        this.counts.gaps++;
        this.options.log.warn(`${this.name}: gap before ${event.type} v${event.version} of ${event.aggregateId}: an earlier event was not seen`);
      }
      this.counts.applied++;
      if (this.lastEventAt === null || event.occurredAt > this.lastEventAt) this.lastEventAt = event.occurredAt;
      const view = this.current.get(event.aggregateId);
      if (view) changed.set(event.aggregateId, view);
    }
    const last = batch.messages[batch.messages.length - 1];
    if (!last) return;
    const next = BigInt(last.offset) + 1n;
    // Persist first, then commit: a crash in between re-reads the batch, and versions drop it.
    if (changed.size > 0) {
      await this.views.bulkWrite([...changed.values()].map((v) => ({
        replaceOne: { filter: { _id: v.id }, replacement: { ...(v as unknown as Record<string, unknown>), _id: v.id }, upsert: true },
      })), { ordered: false });
    }
    await this.saveCheckpoint(batch.partition, next);
    resolveOffset(last.offset);
    await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next.toString() }]);
    this.positions.set(batch.partition, next);
    this.updateCaughtUp();
    for (const view of changed.values()) for (const l of this.listeners) l(view);
    await heartbeat();
  }

  private updateCaughtUp(): void {
    if (this.caughtUp) return;
    for (const [partition, end] of this.startupEnd) {
      if (end > 0n && (this.positions.get(partition) ?? 0n) < end) return;
    }
    this.caughtUp = true;
    this.options.log.log(`${this.name}: caught up with ${this.options.topic}: ${this.current.size} ${this.options.itemNoun ?? 'items'}`);
  }
}
