import type { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Collection, Connection } from 'mongoose';
import type { ServiceConfig } from '@keyward/config';
import { topicName } from '@keyward/config';
import type { KeyEventEnvelope } from '@keyward/contracts';
import { isKeyEventType, KEYS_EVENTS_TOPIC } from '@keyward/contracts';
import { ensureTopics, eventTopic } from '@keyward/messaging';
import type { ProjectionStatus, RebuildableProjection, RebuildProgress, RebuildResult } from '@keyward/projections';
import { TopicReader } from '@keyward/projections';
import { KAFKA, MONGO_CONNECTION, ReadinessService, SERVICE_CONFIG } from '@keyward/service-runtime';
import { KeyIndex } from '../projection/key-index';
import type { KeyView } from '../projection/key-view';
import type { KeyAuthOptions } from './key-auth.options';
import { KEY_AUTH_OPTIONS } from './key-auth.options';

interface ViewDoc extends KeyView { _id: string; generation?: string }
interface CheckpointDoc { _id: string; topic: string; partition: number; offset: string }


/**
 * Every key of every account, in memory, projected from `keys.events`. Its views and its
 * per-partition checkpoint are persisted in this service's own database before the consumer
 * commits, so a restart loads them and reads only what it has not seen. Each event is applied
 * once by the key's `version` (duplicates dropped, gaps counted and logged).
 */
@Injectable()
export class KeyProjection implements OnModuleInit, OnApplicationShutdown, RebuildableProjection {
  readonly name = 'keys';
  private current = new KeyIndex();
  private readonly logger = new Logger('KeyProjection');
  private readonly views: Collection<ViewDoc>;
  private readonly checkpoints: Collection<CheckpointDoc>;
  private consumer: Consumer | undefined;
  private readonly positions = new Map<number, bigint>();
  private readonly startupEnd = new Map<number, bigint>();
  private caughtUp = false;
  private applied = 0;
  private duplicates = 0;
  private gaps = 0;
  private malformed = 0;
  private lastEventAt: string | null = null;
  private lastFetchAtMs: number | undefined;
  private startedAtMs = 0;
  private readonly topic: string;

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(MONGO_CONNECTION) connection: Connection,
    @Inject(KEY_AUTH_OPTIONS) private readonly options: KeyAuthOptions,
    private readonly readiness: ReadinessService,
    @Inject(SERVICE_CONFIG) config: ServiceConfig,
  ) {
    this.topic = topicName(config, KEYS_EVENTS_TOPIC);
    this.views = connection.collection<ViewDoc>('key_projection_views');
    this.checkpoints = connection.collection<CheckpointDoc>('projection_checkpoints');
  }

  async onModuleInit(): Promise<void> {
    this.startedAtMs = Date.now();
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await ensureTopics(admin, [eventTopic(this.topic)]);
      await this.loadPersisted();
      await this.alignGroupOffsets(admin);
      for (const p of await admin.fetchTopicOffsets(this.topic)) this.startupEnd.set(p.partition, BigInt(p.high));
    } finally {
      await admin.disconnect();
    }
    this.updateCaughtUp();
    this.readiness.register({ name: 'key-projection', check: async () => this.readinessCheck() });
    await this.startConsumer();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stopConsumer();
  }

  /** The index the guard reads; replaced in one assignment when a rebuild swaps in. */
  get index(): KeyIndex {
    return this.current;
  }

  /** False while catching up after start or when the broker has not been heard from for too long. */
  available(nowMs: number = Date.now()): { ok: true } | { ok: false; reason: string } {
    if (!this.caughtUp) return { ok: false, reason: 'the key projection is still catching up with keys.events' };
    const bound = this.options.maxStalenessMs;
    if (bound > 0) {
      const last = this.lastFetchAtMs ?? this.startedAtMs;
      if (nowMs - last > bound) {
        return { ok: false, reason: `no confirmed read of ${this.topic} for ${Math.round((nowMs - last) / 1000)} s (bound ${Math.round(bound / 1000)} s)` };
      }
    }
    return { ok: true };
  }

  async status(): Promise<Omit<ProjectionStatus, 'rebuild'> & { groupId: string; malformed: number; lastFetchAt: string | null }> {
    const admin = this.kafka.admin();
    await admin.connect();
    let lag = 0;
    try {
      for (const p of await admin.fetchTopicOffsets(this.topic)) {
        lag += Math.max(0, Number(BigInt(p.high) - (this.positions.get(p.partition) ?? BigInt(p.low))));
      }
    } finally {
      await admin.disconnect();
    }
    return {
      name: this.name,
      topic: this.topic,
      groupId: this.options.groupId,
      positions: Object.fromEntries([...this.positions].map(([p, o]) => [String(p), o.toString()])),
      lag,
      lastEventAt: this.lastEventAt,
      items: this.index.size,
      caughtUp: this.caughtUp,
      applied: this.applied,
      duplicates: this.duplicates,
      gaps: this.gaps,
      malformed: this.malformed,
      lastFetchAt: this.lastFetchAtMs !== undefined ? new Date(this.lastFetchAtMs).toISOString() : null,
    };
  }

  /**
   * Rebuilds the projection from the start of the topic into a new index while the guard keeps
   * answering from the current one; then stops the live consumer, reads the last few events,
   * swaps the index in one assignment, persists it and resumes the live consumer after it.
   */
  async rebuild(onProgress: (p: RebuildProgress) => void): Promise<RebuildResult> {
    const started = Date.now();
    const fresh = new KeyIndex();
    const counts = { applied: 0, duplicates: 0, gaps: 0 };
    let lastEventAt: string | null = null;
    const reader = new TopicReader(this.kafka, this.topic, (_partition, messages) => {
      for (const m of messages) {
        const event = parseKeyEvent(m.value);
        if (!event) continue;
        const r = fresh.apply(event);
        if (r === 'duplicate') counts.duplicates++;
        else {
          counts.applied++;
          if (lastEventAt === null || event.occurredAt > lastEventAt) lastEventAt = event.occurredAt;
          if (r === 'gap') counts.gaps++;
        }
      }
    });
    const report = (): void => {
      const p = reader.progress();
      onProgress({ ...p, lag: Math.max(0, p.target - p.read) });
    };
    const ticker = setInterval(report, 250);
    try {
      await reader.readToEnd();
      await this.stopConsumer();
      try {
        await reader.extendTo();
        const matchedLive = sameKeys(this.current, fresh);
        this.current = fresh;
        this.positions.clear();
        for (const [p, o] of reader.positions()) this.positions.set(p, o);
        this.applied = counts.applied;
        this.duplicates = counts.duplicates;
        this.gaps = counts.gaps;
        this.lastEventAt = lastEventAt;
        await this.persistAll();
        const admin = this.kafka.admin();
        await admin.connect();
        try {
          await this.alignGroupOffsets(admin);
        } finally {
          await admin.disconnect();
        }
        report();
        return { ...counts, items: fresh.size, durationMs: Date.now() - started, matchedLive };
      } finally {
        await this.startConsumer();
      }
    } finally {
      clearInterval(ticker);
      await reader.close();
    }
  }

  private readinessCheck(): { ready: boolean; detail?: string } {
    const a = this.available();
    return a.ok ? { ready: true, detail: `${this.index.size} keys` } : { ready: false, detail: a.reason };
  }

  private async loadPersisted(): Promise<void> {
    const docs = await this.views.find({}).toArray();
    this.index.load(docs.map(({ _id: _ignored, generation: _generation, ...view }) => view));
    for (const c of await this.checkpoints.find({ topic: this.topic }).toArray()) this.positions.set(c.partition, BigInt(c.offset));
    if (docs.length > 0) this.logger.log(`loaded ${docs.length} keys and the checkpoint from the database`);
  }

  /**
   * The database is the truth of what was applied: point the group at the persisted checkpoint
   * (or at the start of the topic when there is none, e.g. a fresh or wiped database).
   */
  private async alignGroupOffsets(admin: Admin): Promise<void> {
    try {
      if (this.positions.size === 0) {
        await admin.resetOffsets({ groupId: this.options.groupId, topic: this.topic, earliest: true });
      } else {
        await admin.setOffsets({
          groupId: this.options.groupId,
          topic: this.topic,
          partitions: [...this.positions].map(([partition, offset]) => ({ partition, offset: offset.toString() })),
        });
      }
    } catch (e) {
      // Another member of the group is running: it owns the offsets; keep them.
      this.logger.warn(`could not align the group's offsets with the checkpoint: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Replaces every persisted view and the checkpoint with the current index's. */
  private async persistAll(): Promise<void> {
    const generation = randomUUID();
    const views = this.current.snapshot();
    for (let i = 0; i < views.length; i += 500) {
      await this.views.bulkWrite(views.slice(i, i + 500).map((v) => ({
        replaceOne: { filter: { _id: v.id }, replacement: { ...v, _id: v.id, generation }, upsert: true },
      })), { ordered: false });
    }
    await this.views.deleteMany({ generation: { $ne: generation } });
    for (const [partition, offset] of this.positions) {
      await this.checkpoints.replaceOne({ _id: `${this.topic}:${partition}` }, { topic: this.topic, partition, offset: offset.toString() }, { upsert: true });
    }
  }

  private async stopConsumer(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    await consumer?.disconnect().catch(() => undefined);
  }

  private async startConsumer(): Promise<void> {
    const consumer = this.kafka.consumer({ groupId: this.options.groupId, sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 500 });
    this.consumer = consumer;
    // Staleness is about real time since the broker last answered, not business time, so it
    // uses the process's own clock, not the injected one that tests move.
    consumer.on(consumer.events.FETCH, () => {
      this.lastFetchAtMs = Date.now();
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => this.handleBatch(payload) });
  }

  private async handleBatch({ batch, resolveOffset, heartbeat }: EachBatchPayload): Promise<void> {
    const changed = new Map<string, KeyView>();
    for (const message of batch.messages) {
      const event = parseKeyEvent(message.value);
      if (!event) {
        this.malformed++;
        this.logger.warn(`skipped a message that is not a key event at ${batch.topic}/${batch.partition}@${message.offset}`);
        continue;
      }
      const result = this.index.apply(event);
      if (result === 'duplicate') {
        this.duplicates++;
        continue;
      }
      if (result === 'gap') {
        this.gaps++;
        this.logger.warn(`gap before ${event.type} v${event.version} of ${event.aggregateId}: an earlier event was not seen`);
      }
      this.applied++;
      if (this.lastEventAt === null || event.occurredAt > this.lastEventAt) this.lastEventAt = event.occurredAt;
      const view = this.index.get(event.aggregateId);
      if (view) changed.set(event.aggregateId, view);
    }
    const last = batch.messages[batch.messages.length - 1];
    if (!last) return;
    const next = BigInt(last.offset) + 1n;
    // Persist first, then commit: a crash in between re-reads the batch, and versions drop it.
    if (changed.size > 0) {
      await this.views.bulkWrite([...changed.values()].map((v) => ({
        replaceOne: { filter: { _id: v.id }, replacement: { _id: v.id, ...v }, upsert: true },
      })), { ordered: false });
    }
    await this.checkpoints.replaceOne(
      { _id: `${batch.topic}:${batch.partition}` },
      { topic: batch.topic, partition: batch.partition, offset: next.toString() },
      { upsert: true },
    );
    resolveOffset(last.offset);
    await this.consumer?.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next.toString() }]);
    this.positions.set(batch.partition, next);
    this.updateCaughtUp();
    await heartbeat();
  }

  private updateCaughtUp(): void {
    if (this.caughtUp) return;
    for (const [partition, end] of this.startupEnd) {
      if (end > 0n && (this.positions.get(partition) ?? 0n) < end) return;
    }
    this.caughtUp = true;
    this.logger.log(`caught up with ${this.topic}: ${this.index.size} keys`);
  }
}

/** Whether two indexes hold the same keys in the same state. */
function sameKeys(a: KeyIndex, b: KeyIndex): boolean {
  if (a.size !== b.size) return false;
  for (const view of a.snapshot()) {
    const other = b.get(view.id);
    if (!other || canonical(other) !== canonical(view)) return false;
  }
  return true;
}

/** JSON with sorted keys, so two equal views compare equal whatever order their fields were set in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1))) : v);
}

/** A message of keys.events as a typed key event, or undefined when it is not one. */
export function parseKeyEvent(value: Buffer | null): KeyEventEnvelope | undefined {
  if (!value) return undefined;
  try {
    const e = JSON.parse(value.toString('utf8')) as Partial<KeyEventEnvelope>;
    if (typeof e.type !== 'string' || !isKeyEventType(e.type)) return undefined;
    if (typeof e.aggregateId !== 'string' || typeof e.accountId !== 'string' || typeof e.version !== 'number' || typeof e.data !== 'object' || e.data === null) return undefined;
    return e as KeyEventEnvelope;
  } catch {
    return undefined;
  }
}
