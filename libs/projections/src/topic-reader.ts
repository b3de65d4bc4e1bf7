import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';

export interface TopicReadProgress {
  readonly read: number;
  readonly target: number;
  readonly eventsPerSecond: number;
}

/**
 * Reads a whole topic from its start with a throw-away consumer group (nothing committed), up
 * to a target (the end offsets when asked), handing each batch to `handle`. `extendTo` moves the
 * target to the topic's current end, for the final catch-up before a swap.
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

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly handle: (partition: number, messages: readonly KafkaMessage[]) => Promise<void> | void,
  ) {}

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
    await this.extendTarget();
    if (!this.consumer) {
      const consumer = this.kafka.consumer({ groupId: `replay-${randomUUID()}`, maxWaitTimeInMs: 200, maxBytes: 10 * 1024 * 1024 });
      this.consumer = consumer;
      await consumer.connect();
      await consumer.subscribe({ topic: this.topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch, heartbeat }) => {
          try {
            await this.handle(batch.partition, batch.messages);
          } catch (e) {
            this.failure = e;
            this.wake();
            throw e;
          }
          this.read += batch.messages.length;
          const last = batch.messages[batch.messages.length - 1];
          if (last) this.next.set(batch.partition, BigInt(last.offset) + 1n);
          await heartbeat();
          this.wake();
        },
      });
    }
    await this.untilDone();
  }

  /** Moves the target to the current end of the topic and reads up to it. */
  async extendTo(): Promise<void> {
    await this.readToEnd();
  }

  async close(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
    this.consumer = undefined;
  }

  private async extendTarget(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      for (const p of await admin.fetchTopicOffsets(this.topic)) {
        this.target.set(p.partition, BigInt(p.high));
        this.low.set(p.partition, BigInt(p.low));
        if (!this.next.has(p.partition)) this.next.set(p.partition, BigInt(p.low));
      }
    } finally {
      await admin.disconnect();
    }
  }

  private done(): boolean {
    for (const [p, end] of this.target) if ((this.next.get(p) ?? 0n) < end) return false;
    return true;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async untilDone(): Promise<void> {
    while (!this.done()) {
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        // Also re-check periodically: a partition can be at its end with no batch to report.
        setTimeout(resolve, 500).unref();
      });
    }
  }
}
