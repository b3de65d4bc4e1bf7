import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Connection } from 'mongoose';
import type { ServiceConfig } from '@keyward/config';
import { topicName } from '@keyward/config';
import type { KeyUsageRecordedEnvelope } from '@keyward/contracts';
import { USAGE_EVENTS, USAGE_TOPIC } from '@keyward/contracts';
import { ensureTopics, eventTopic } from '@keyward/messaging';
import type { DeadLetter } from '@keyward/projections';
import { DeadLetters, errorText, restartDelayMs } from '@keyward/projections';
import { KAFKA, Metrics, MONGO_CONNECTION, SERVICE_CONFIG } from '@keyward/service-runtime';
import { UsageRepository } from './usage.repository';

/** A consumer that ran this long before failing restarts with the shortest delay again. */
const HEALTHY_RUN_MS = 30_000;

/**
 * Projects `keys.usage` into the usage read model (UsageRepository) with one consumer group for
 * every instance of the keys service (the work is done once; a partition has one consumer). Offsets
 * are committed only after the batch is written; applying is idempotent, so a redelivered batch
 * changes nothing. A message that is not a usage event goes to the dead letters. Supervised: a
 * crash restarts it from the committed offsets after a bounded, growing delay.
 */
@Injectable()
export class UsageProjector implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('UsageProjector');
  private readonly topic: string;
  private readonly groupId: string;
  private readonly deadLetters: DeadLetters;
  private consumer: Consumer | undefined;
  private stopping = false;
  private attempt = 0;
  private runningSinceMs = 0;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(MONGO_CONNECTION) connection: Connection,
    @Inject(SERVICE_CONFIG) config: ServiceConfig,
    private readonly usage: UsageRepository,
    private readonly metrics: Metrics,
  ) {
    this.topic = topicName(config, USAGE_TOPIC);
    this.groupId = `${config.topicPrefix}keyward-keys-usage`;
    this.deadLetters = new DeadLetters(connection);
  }

  onApplicationBootstrap(): void {
    // In the background: usage is not needed to serve, and a start while Kafka is away is retried.
    void this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const consumer = this.consumer;
    this.consumer = undefined;
    await consumer?.disconnect().catch(() => undefined);
  }

  private async start(): Promise<void> {
    if (this.stopping) return;
    const consumer = this.kafka.consumer({ groupId: this.groupId, sessionTimeout: 30_000, heartbeatInterval: 3_000, maxWaitTimeInMs: 500,
      retry: { retries: 3, initialRetryTime: 250, maxRetryTime: 2_000, restartOnFailure: async (): Promise<boolean> => false } });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (this.consumer === consumer) this.failed(payload.error);
    });
    try {
      const admin = this.kafka.admin();
      await admin.connect();
      try {
        await ensureTopics(admin, [eventTopic(this.topic)]);
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
      await consumer.connect();
      // A new group reads the topic from its start: nothing published before the first start is missed.
      await consumer.subscribe({ topic: this.topic, fromBeginning: true });
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => this.handleBatch(consumer, payload) });
      this.runningSinceMs = Date.now();
    } catch (e) {
      if (this.consumer === consumer) this.failed(e);
    }
  }

  private failed(error: unknown): void {
    if (this.stopping || this.restartTimer) return;
    const consumer = this.consumer;
    this.consumer = undefined;
    if (this.runningSinceMs > 0 && Date.now() - this.runningSinceMs > HEALTHY_RUN_MS) this.attempt = 0;
    this.runningSinceMs = 0;
    const delay = restartDelayMs(this.attempt++);
    this.metrics.inc('usage_projector_restarts_total', 'Restarts of the keys.usage consumer');
    this.logger.warn(`usage consumer failed (${errorText(error)}); restarting in ${delay} ms`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void (async () => {
        await consumer?.disconnect().catch(() => undefined);
        await this.start();
      })();
    }, delay);
  }

  private async handleBatch(consumer: Consumer, { batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const events: KeyUsageRecordedEnvelope[] = [];
    const letters: DeadLetter[] = [];
    for (const message of batch.messages) {
      const parsed = USAGE_EVENTS.parse(message.value);
      if (parsed.ok) events.push(parsed.event);
      else letters.push(DeadLetters.letter('usage', batch.topic, batch.partition, message, parsed.reason, new Date()));
    }
    const last = batch.messages[batch.messages.length - 1];
    if (!last || !isRunning() || isStale()) return;
    // Written first, then committed: a failure throws, and the batch comes again (applying it twice changes nothing).
    const changed = await this.usage.apply(events);
    if (letters.length > 0) {
      await this.deadLetters.write(letters);
      this.logger.warn(`${letters.length} message(s) of ${batch.topic} are not usage events; kept in the dead letters`);
    }
    resolveOffset(last.offset);
    await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }]);
    this.metrics.inc('usage_reports_applied_total', 'Usage reports of keys.usage that changed the usage read model', {}, changed);
    await heartbeat();
  }
}
