import type { Admin, Kafka } from 'kafkajs';
import type { RecordSender } from '@keyward/messaging';
import { encodeWatermark, ensureTopics, watermarkTopic, watermarkTopicOf, withDeadline } from '@keyward/messaging';

export interface RelayWatermarksOptions {
  /** The event topic the relay publishes (its watermarks go to `<topic>.watermarks`). */
  readonly topic: string;
  /**
   * At most one watermark per this interval (a busy relay reads the outbox many times a second);
   * the relay's poll reads it, and so claims, at least every second.
   */
  readonly minIntervalMs?: number;
  /** Bound of each broker call, so a broker that is away fails the drain fast instead of holding it. */
  readonly callTimeoutMs?: number;
}

/**
 * Publishes the relay's freshness watermarks (libs/messaging watermarks.ts), as the relay's
 * `onDrained`: called under the relay lease once a read of the outbox found nothing left
 * unpublished, it reads the topic's end offsets (after that drain's sends, so they cover them)
 * and sends "everything appended until T is published, below these offsets" with the relay's
 * own producer. Nothing is sent when the relay cannot drain (Kafka or the database away, the
 * lease held elsewhere): consumers then stop being confirmed and fail safe past their bound.
 */
export class RelayWatermarks {
  private admin: Admin | undefined;
  private topicReady = false;
  private lastCoveredMs = 0;
  private sent = 0;
  private lastPublishedUntilMs: number | undefined;

  constructor(private readonly kafka: Kafka, private readonly producer: RecordSender, private readonly options: RelayWatermarksOptions) {}

  /** The relay's onDrained: everything appended before `coveredUntilMs` is on the topic. */
  async drained(coveredUntilMs: number): Promise<void> {
    if (coveredUntilMs - this.lastCoveredMs < (this.options.minIntervalMs ?? 200)) return;
    const timeout = this.options.callTimeoutMs ?? 3_000;
    const { topic } = this.options;
    try {
      const admin = await this.connectedAdmin(timeout);
      if (!this.topicReady) {
        await withDeadline(ensureTopics(admin, [watermarkTopic(topic)], { deadlineMs: timeout }), timeout, `creating ${watermarkTopicOf(topic)} timed out`);
        this.topicReady = true;
      }
      const ends = await withDeadline(admin.fetchTopicOffsets(topic), timeout, `reading the end offsets of ${topic} timed out`);
      const offsets = new Map(ends.map((p) => [p.partition, BigInt(p.high)]));
      await this.producer.send({
        topic: watermarkTopicOf(topic),
        acks: -1,
        timeout,
        messages: [{ key: topic, value: encodeWatermark({ topic, publishedUntilMs: coveredUntilMs, offsets }) }],
      });
    } catch (e) {
      // A fresh admin next time: one that lived through a broker restart may keep a dead connection.
      const admin = this.admin;
      this.admin = undefined;
      void admin?.disconnect().catch(() => undefined);
      throw new Error(`watermark not published: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    this.lastCoveredMs = coveredUntilMs;
    this.lastPublishedUntilMs = coveredUntilMs;
    this.sent++;
  }

  status(): { sent: number; publishedUntil: string | null } {
    return { sent: this.sent, publishedUntil: this.lastPublishedUntilMs === undefined ? null : new Date(this.lastPublishedUntilMs).toISOString() };
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await admin?.disconnect().catch(() => undefined);
  }

  private async connectedAdmin(timeoutMs: number): Promise<Admin> {
    if (this.admin) return this.admin;
    const admin = this.kafka.admin();
    await withDeadline(admin.connect(), timeoutMs, 'the admin client did not connect in time').catch(async (e: unknown) => {
      await admin.disconnect().catch(() => undefined);
      throw e;
    });
    this.admin = admin;
    return admin;
  }
}
