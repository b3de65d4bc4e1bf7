import { randomUUID } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { withKafkaRetry } from '@keyward/messaging';

export interface TopicReadProgress {
  readonly read: number;
  readonly target: number;
  readonly eventsPerSecond: number;
}

export interface TopicReaderOptions {
  /** Stops the read: readToEnd/extendTo reject with the signal's reason, and no more messages are handed over. */
  readonly signal?: AbortSignal;
  /** Messages handed to `handle` at a time; the event loop gets a turn between slices. */
  readonly sliceSize?: number;
}

/** Messages per slice: a slice is parsed and applied in a few milliseconds, so HTTP requests wait no longer. */
const DEFAULT_SLICE = 500;
/** How often the end condition is re-checked when no batch arrives (a partition at its end sends none). */
const RECHECK_MS = 200;
/** How long a start of the read (end offsets, the consumer joining) is retried on transient broker errors. */
const RETRY_DEADLINE_MS = 60_000;

/**
 * Reads a whole topic from its start with a throw-away consumer group (nothing committed), up
 * to a target (the end offsets when asked), handing each slice of a batch to `handle`. The
 * consumer keeps reading after a target is reached; `extendTo` moves the target to the topic's
 * current end. Positions count every offset the broker reports as fetched (control records and
 * filtered messages included), so a partition whose last record is not a message still ends.
 */
export class TopicReader {
  private consumer: Consumer | undefined;
  private readonly target = new Map<number, bigint>();
  private readonly low = new Map<number, bigint>();
  private readonly next = new Map<number, bigint>();
  private read = 0;
  private readonly startedAt = Date.now();
  private waiters: (() => void)[] = [];
  private failure: unknown;
  private closed = false;
  private readonly sliceSize: number;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly handle: (partition: number, messages: readonly KafkaMessage[]) => Promise<void> | void,
    private readonly options: TopicReaderOptions = {},
  ) {
    this.sliceSize = options.sliceSize ?? DEFAULT_SLICE;
    options.signal?.addEventListener('abort', () => this.wake(), { once: true });
  }

  /** The next offset to read, per partition. */
  positions(): Map<number, bigint> {
    return new Map(this.next);
  }

  progress(): TopicReadProgress {
    let target = 0;
    for (const [p, end] of this.target) target += Number(end - (this.low.get(p) ?? 0n));
    const seconds = Math.max((Date.now() - this.startedAt) / 1000, 0.001);
    return { read: this.read, target, eventsPerSecond: Math.round(this.read / seconds) };
  }

  /** Starts reading and resolves when every partition has reached the end offsets of now. */
  async readToEnd(): Promise<void> {
    this.throwIfStopped();
    await this.extendTarget();
    if (!this.consumer) await this.startConsumer();
    await this.untilDone();
  }

  /** Moves the target to the current end of the topic and reads up to it. */
  async extendTo(): Promise<void> {
    await this.readToEnd();
  }

  /**
   * Resolves once `condition` holds, checked right after each slice is handled and every
   * RECHECK_MS: the caller acts in the same synchronous step, before another slice arrives.
   */
  async until(condition: () => boolean): Promise<void> {
    for (;;) {
      this.throwIfStopped();
      if (condition()) return;
      await this.nextWake();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const consumer = this.consumer;
    this.consumer = undefined;
    this.wake();
    await consumer?.disconnect().catch(() => undefined);
  }

  /**
   * Retried on a transient broker error (a topic a moment old, or a broker moving its leaders on a
   * loaded machine, answers "This server does not host this topic-partition"): a quick benchmark
   * inside a fresh-clone CI run failed its replay section with exactly that.
   */
  private async startConsumer(): Promise<void> {
    await withKafkaRetry(`start reading ${this.topic}`, () => this.startConsumerOnce(), { signal: this.options.signal, deadlineMs: RETRY_DEADLINE_MS });
  }

  private async startConsumerOnce(): Promise<void> {
    // Small fetches: decoding one is a short task for the event loop that also serves requests.
    const consumer = this.kafka.consumer({
      groupId: `replay-${randomUUID()}`, maxWaitTimeInMs: 200, maxBytes: 2 * 1024 * 1024, maxBytesPerPartition: 1024 * 1024,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      // kafkajs restarts itself after a retriable error; anything else ends the read.
      if (!payload.restart) {
        this.failure = payload.error;
        this.wake();
      }
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: this.topic, fromBeginning: true });
      await this.run(consumer);
    } catch (e) {
      this.consumer = undefined;
      await consumer.disconnect().catch(() => undefined);
      throw e;
    }
  }

  private async run(consumer: Consumer): Promise<void> {
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
        const messages = batch.messages;
        for (let i = 0; i < messages.length; i += this.sliceSize) {
          if (this.stopped() || !isRunning() || isStale()) return;
          const slice = messages.slice(i, i + this.sliceSize);
          try {
            await this.handle(batch.partition, slice);
          } catch (e) {
            this.failure = e;
            this.wake();
            return;
          }
          this.read += slice.length;
          const last = slice[slice.length - 1];
          if (last) {
            // Resolved in memory only (nothing is committed): the next fetch starts after it.
            resolveOffset(last.offset);
            this.advance(batch.partition, BigInt(last.offset) + 1n);
          }
          this.wake();
          await heartbeat();
          await yieldToEventLoop();
        }
        // Offsets past the last message (control records, filtered or compacted ones) are read too.
        this.advance(batch.partition, BigInt(batch.lastOffset()) + 1n);
        this.wake();
      },
    });
  }

  private advance(partition: number, next: bigint): void {
    if (next > (this.next.get(partition) ?? 0n)) this.next.set(partition, next);
  }

  private async extendTarget(): Promise<void> {
    const offsets = await withKafkaRetry(`read the end offsets of ${this.topic}`, async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      try {
        return await admin.fetchTopicOffsets(this.topic);
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    }, { signal: this.options.signal, deadlineMs: RETRY_DEADLINE_MS });
    for (const p of offsets) {
      this.target.set(p.partition, BigInt(p.high));
      this.low.set(p.partition, BigInt(p.low));
      if (!this.next.has(p.partition)) this.next.set(p.partition, BigInt(p.low));
    }
  }

  private done(): boolean {
    for (const [p, end] of this.target) if ((this.next.get(p) ?? 0n) < end) return false;
    return true;
  }

  private stopped(): boolean {
    return this.closed || this.options.signal?.aborted === true;
  }

  private throwIfStopped(): void {
    this.options.signal?.throwIfAborted();
    if (this.failure) throw this.failure;
    if (this.closed) throw new Error(`the reader of ${this.topic} is closed`);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private nextWake(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.waiters.push(resolve);
      setTimeout(resolve, RECHECK_MS).unref();
    });
  }

  private async untilDone(): Promise<void> {
    await this.until(() => this.done());
  }
}
