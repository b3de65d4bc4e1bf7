import { randomBytes } from 'node:crypto';
import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { ServiceConfig } from '@keyward/config';
import { topicName } from '@keyward/config';
import type { KeyUsageRecordedEnvelope } from '@keyward/contracts';
import { USAGE_TOPIC } from '@keyward/contracts';
import { createIdempotentProducer, ensureTopics, eventTopic, producerNeedsRenewal, RenewableProducer, withDeadline, withKafkaRetry } from '@keyward/messaging';
import type { Clock } from '@keyward/service-runtime';
import { CLOCK, KAFKA, Metrics, SERVICE_CONFIG } from '@keyward/service-runtime';
import type { UsageReport } from '../usage/usage-recorder';
import { UsageRecorder } from '../usage/usage-recorder';

/** Messages per produce request: a flush of many keys goes out in a few requests. */
const SEND_BATCH = 500;
/** The last flush at shutdown gets at most this long (the shutdown deadline is 8 s by default). */
const SHUTDOWN_FLUSH_MS = 3_000;

/**
 * Publishes this process's usage counts (UsageRecorder) to `keys.usage` every
 * `USAGE_FLUSH_INTERVAL_MS` and once more on a graceful shutdown, as one KeyUsageRecorded per key and
 * minute counted into since the last flush (running totals of the minute, see libs/contracts
 * usage-events.ts). A flush that fails after its retries (transient Kafka errors) leaves the
 * counts to the next one; nothing waits for it on a request's path. A crash loses what was counted
 * since the last flush that succeeded: at most one interval (docs/usage.md).
 */
@Injectable()
export class UsageReporter implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly recorder = new UsageRecorder();
  private readonly logger = new Logger('UsageReporter');
  private readonly topic: string;
  /** `<service>/<instanceId>/<boot>`: a restarted process is a new source, so its counts add up rather than replace. */
  readonly source: string;
  private readonly producer: RenewableProducer;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private topicReady: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private renewNext = false;

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly metrics: Metrics,
  ) {
    this.topic = topicName(config, USAGE_TOPIC);
    this.source = `${config.service}/${config.instanceId}/${randomBytes(6).toString('base64url')}`;
    this.producer = new RenewableProducer(() => createIdempotentProducer(kafka));
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.flush(), this.config.usageFlushIntervalMs);
    this.timer.unref();
    // Topic and producer ready before the first count, so a flush (the last one at shutdown above all) only sends.
    this.ensureTopic().catch((e: unknown) => {
      this.logger.warn(`usage topic or producer not ready yet, the next flush retries: ${e instanceof Error ? e.message : String(e)}`);
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    // Graceful stop: what was counted since the last flush goes out now, within a bound.
    await withDeadline(this.flush(), SHUTDOWN_FLUSH_MS, 'the last usage flush did not finish in time').catch((e: unknown) => {
      this.logger.warn(`usage counted since the last flush is lost: ${e instanceof Error ? e.message : String(e)}`);
    });
    this.abort.abort();
    await this.producer.disconnect().catch(() => undefined);
  }

  /** Publishes what was counted since the last flush; one flush at a time. Never rejects. */
  flush(): Promise<void> {
    const run = this.flushing.then(() => this.flushNow());
    this.flushing = run.catch(() => undefined);
    return this.flushing;
  }

  private async flushNow(): Promise<void> {
    const nowMs = this.clock.now().getTime();
    const reports = this.recorder.take(nowMs);
    if (reports.length === 0) return;
    try {
      await this.ensureTopic();
      if (this.renewNext) {
        await this.producer.renew();
        this.renewNext = false;
      }
      const occurredAt = new Date(nowMs).toISOString();
      for (let i = 0; i < reports.length; i += SEND_BATCH) {
        const messages = reports.slice(i, i + SEND_BATCH).map((r) => ({ key: r.keyId, value: JSON.stringify(this.envelope(r, occurredAt)) }));
        await withKafkaRetry(`publish ${messages.length} usage reports`, () => this.producer.send({ topic: this.topic, messages, acks: -1 }),
          { attempts: 4, deadlineMs: Math.max(1000, this.config.usageFlushIntervalMs), signal: this.abort.signal });
      }
      this.recorder.settle(reports, true);
      this.metrics.inc('usage_reports_published_total', 'Usage reports (per key per minute) published to keys.usage', {}, reports.length);
    } catch (e) {
      // A producer id the broker no longer accepts stays refused until a new producer takes over (renewable-producer.ts).
      if (producerNeedsRenewal(e)) this.renewNext = true;
      this.recorder.settle(reports, false);
      this.metrics.inc('usage_flush_failures_total', 'Usage flushes that failed (their counts go with the next flush)');
      this.logger.warn(`usage flush failed, the counts go with the next one: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    }
  }

  /** Connects the producer and creates the topic (like every topic: 3 partitions, kept) once. */
  private ensureTopic(): Promise<void> {
    this.topicReady ??= (async () => {
      const admin = this.kafka.admin();
      try {
        await admin.connect();
        await ensureTopics(admin, [eventTopic(this.topic)], { signal: this.abort.signal });
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
      await this.producer.connect();
    })().catch((e: unknown) => {
      this.topicReady = undefined;
      throw e;
    });
    return this.topicReady;
  }

  private envelope(r: UsageReport, occurredAt: string): KeyUsageRecordedEnvelope {
    const window = new Date(r.windowMs).toISOString();
    return {
      // The same report always has the same id: a retried send is recognisably the same event.
      id: `${this.source}|${r.keyId}|${window}|${r.seq}`,
      type: 'KeyUsageRecorded',
      schemaVersion: 1,
      aggregateId: r.keyId,
      accountId: r.accountId,
      version: r.seq,
      occurredAt,
      data: {
        window, source: this.source, service: this.config.service, instance: this.config.instanceId, counts: r.counts,
        lastUsedAt: new Date(r.lastAtMs).toISOString(), lastOperation: r.lastOperation, lastAddress: r.lastAddress ?? null,
      },
    };
  }
}
