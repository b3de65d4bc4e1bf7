import type { Consumer, Kafka } from 'kafkajs';
import type { Watermark } from '@keyward/messaging';
import { ensureTopics, parseWatermark, watermarkTopic, watermarkTopicOf } from '@keyward/messaging';
import type { ConsumerState } from './consumer-faults';
import { ConsumerRestarts, errorText } from './consumer-faults';

/**
 * Where a projection learns that it is current, measured against the source rather than the
 * broker: `confirmedUntilMs(applied)` is the real time until which everything the source
 * appended is applied, given the offsets the projection has applied.
 */
export interface FreshnessSource {
  /** Starts following the source; never throws (it supervises itself). */
  start(): void;
  stop(): Promise<void>;
  /**
   * The `publishedUntil` of the newest watermark whose offsets `applied` has reached (0 when none
   * has been reached yet, or while it is not known whether the source publishes watermarks), or
   * undefined when the source's watermark topic holds none at all (see WatermarkFreshness).
   * `applied` is asked only when a received watermark is still pending (it runs on every request).
   */
  confirmedUntilMs(applied: () => ReadonlyMap<number, bigint>): number | undefined;
  status(): WatermarkStatus;
}

/** What `/admin/projections` shows of a projection's watermarks. */
export interface WatermarkStatus {
  readonly topic: string;
  /** `none`: the watermark topic holds no watermark yet (freshness falls back to confirmed fetches). */
  readonly mode: 'unknown' | 'none' | 'watermarks';
  readonly consumer: ConsumerState;
  readonly restarts: number;
  readonly lastError: string | null;
  /** publishedUntil of the newest watermark fully applied (what freshness is measured by). */
  readonly appliedUntil: string | null;
  /** publishedUntil of the newest watermark received. */
  readonly receivedUntil: string | null;
  /** Received watermarks whose offsets are not applied yet. */
  readonly pending: number;
}

export interface WatermarkFreshnessOptions {
  /** The event topic the projection reads; its watermarks are on `<topic>.watermarks`. */
  readonly topic: string;
  /** A consumer group of this projection instance alone (it never commits: it starts at the latest watermark). */
  readonly groupId: string;
  readonly log: { log(message: string): void; warn(message: string): void };
}

/** Received watermarks kept while the projection has not reached their offsets (1-5 a second; minutes of them). */
const MAX_PENDING = 512;

/**
 * Follows a relay's watermark topic (libs/messaging watermarks.ts) for one projection. A
 * watermark counts once the projection has applied its offsets on every partition; then the
 * projection is known to hold everything the source appended until its `publishedUntil`.
 *
 * Only the latest watermark matters at start, so the consumer seeks to the topic's last message
 * and never commits. It is supervised like the projection's own consumer (restart with backoff
 * on a crash); while it is down nothing new is confirmed, so the projection fails safe.
 *
 * A watermark topic that holds no watermark at all (the source's relay has never run, or runs a
 * version that publishes none) leaves freshness to the projection's confirmed fetches; once one
 * is seen, it never goes back: the topic is compacted, so its latest watermark stays forever.
 */
export class WatermarkFreshness implements FreshnessSource {
  private readonly watermarkTopic: string;
  private consumer: Consumer | undefined;
  private state: ConsumerState = 'stopped';
  private mode: WatermarkStatus['mode'] = 'unknown';
  private readonly pending: Watermark[] = [];
  private appliedUntilMs = 0;
  private receivedUntilMs = 0;
  private stopping = false;
  private readonly restarts = new ConsumerRestarts();
  private lastError: string | null = null;

  constructor(private readonly kafka: Kafka, private readonly options: WatermarkFreshnessOptions) {
    this.watermarkTopic = watermarkTopicOf(options.topic);
  }

  start(): void {
    this.stopping = false;
    this.state = 'restarting';
    void this.run().catch((e: unknown) => this.failed(e, 'could not start'));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.state = 'stopped';
    this.restarts.cancel();
    const consumer = this.consumer;
    this.consumer = undefined;
    await consumer?.disconnect().catch(() => undefined);
  }

  confirmedUntilMs(applied: () => ReadonlyMap<number, bigint>): number | undefined {
    if (this.mode === 'none') return undefined;
    if (this.pending.length === 0) return this.appliedUntilMs;
    const at = applied();
    // Offsets only grow from one watermark to the next, so the oldest pending one is reached first.
    while (this.pending[0] && reached(this.pending[0], at)) {
      const w = this.pending.shift();
      if (w && w.publishedUntilMs > this.appliedUntilMs) this.appliedUntilMs = w.publishedUntilMs;
    }
    return this.appliedUntilMs;
  }

  status(): WatermarkStatus {
    return {
      topic: this.watermarkTopic,
      mode: this.mode,
      consumer: this.state,
      restarts: this.restarts.total,
      lastError: this.lastError,
      appliedUntil: this.appliedUntilMs > 0 ? new Date(this.appliedUntilMs).toISOString() : null,
      receivedUntil: this.receivedUntilMs > 0 ? new Date(this.receivedUntilMs).toISOString() : null,
      pending: this.pending.length,
    };
  }

  /** Records a watermark as received (its consumer calls it; so does the unit spec). */
  receive(received: Watermark): void {
    this.mode = 'watermarks';
    // Never newer than now: a relay whose clock runs ahead must not stretch the bound.
    const w = received.publishedUntilMs > Date.now() ? { ...received, publishedUntilMs: Date.now() } : received;
    if (w.publishedUntilMs <= this.receivedUntilMs) return;
    this.receivedUntilMs = w.publishedUntilMs;
    this.pending.push(w);
    // The oldest is dropped: a newer watermark covers everything it did once its offsets are reached.
    if (this.pending.length > MAX_PENDING) this.pending.shift();
  }

  private async run(): Promise<void> {
    const admin = this.kafka.admin();
    let startAt: bigint;
    await admin.connect();
    try {
      await ensureTopics(admin, [watermarkTopic(this.options.topic)]);
      const [end] = await admin.fetchTopicOffsets(this.watermarkTopic);
      const high = BigInt(end?.high ?? '0');
      const low = BigInt(end?.low ?? '0');
      if (high === 0n && this.mode === 'unknown') this.mode = 'none';
      startAt = high > low ? high - 1n : low;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    if (this.stopping) return;
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      maxWaitTimeInMs: 500,
      maxBytesPerPartition: 256 * 1024,
      retry: { retries: 3, initialRetryTime: 250, maxRetryTime: 2_000, restartOnFailure: async (): Promise<boolean> => false },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (this.consumer === consumer) this.failed(payload.error, 'consumer crashed');
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: this.watermarkTopic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ message }) => {
          if (this.consumer !== consumer) return;
          const w = parseWatermark(message.value, this.options.topic);
          if (w) this.receive(w);
        },
      });
      consumer.seek({ topic: this.watermarkTopic, partition: 0, offset: startAt.toString() });
    } catch (e) {
      if (this.consumer === consumer) this.consumer = undefined;
      await consumer.disconnect().catch(() => undefined);
      throw e;
    }
    if (this.consumer !== consumer || this.stopping) return;
    this.state = 'running';
    this.restarts.running();
    if (this.restarts.total > 0) this.options.log.log(`${this.watermarkTopic}: watermark consumer running again (restart ${this.restarts.total})`);
  }

  private failed(error: unknown, what: string): void {
    if (this.stopping) return;
    this.lastError = `${what}: ${errorText(error)}`;
    this.state = 'restarting';
    const consumer = this.consumer;
    this.consumer = undefined;
    const delay = this.restarts.restartConsumer(consumer, () => this.run(), {
      stopped: () => this.stopping,
      failed: (e) => this.failed(e, 'restart failed'),
    });
    if (delay === undefined) return;
    this.options.log.warn(`${this.watermarkTopic}: ${this.lastError}; restarting the watermark consumer in ${delay} ms (restart ${this.restarts.total})`);
  }
}

/** The projection has applied the watermark's offsets on every partition. */
function reached(w: Watermark, applied: ReadonlyMap<number, bigint>): boolean {
  for (const [partition, offset] of w.offsets) {
    if (offset > 0n && (applied.get(partition) ?? 0n) < offset) return false;
  }
  return true;
}
