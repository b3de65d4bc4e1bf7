import type { OnModuleInit } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { Connection } from 'mongoose';
import type { ServiceConfig } from '@keyward/config';
import { topicName } from '@keyward/config';
import type { KeyUsageRecordedEnvelope } from '@keyward/contracts';
import { USAGE_EVENTS, USAGE_TOPIC } from '@keyward/contracts';
import { BatchConsumer } from '@keyward/projections';
import { EventConsumers, KAFKA, Metrics, MONGO_CONNECTION, SERVICE_CONFIG } from '@keyward/service-runtime';
import { UsageRepository } from './usage.repository';

/** One batch's usage reports, as UsageEventsController adds them; written by UsageRepository in one go. */
export class UsageBatch {
  readonly reports: KeyUsageRecordedEnvelope[] = [];

  add(report: KeyUsageRecordedEnvelope): void {
    this.reports.push(report);
  }
}

/**
 * Projects `keys.usage` into the usage read model (UsageRepository), a BatchConsumer
 * (libs/projections): one consumer group for every instance of the keys service (the work is done
 * once; a partition has one consumer), each batch's reports collected by UsageEventsController's
 * `@EventPattern('KeyUsageRecorded')` and written in one apply, offsets committed only after it.
 * Applying is idempotent, so a redelivered batch changes nothing; a message that is not a usage
 * event goes to the dead letters; supervised restarts. Started and stopped by the event transport
 * (startServiceApp), never a readiness check: usage is not needed to serve.
 */
@Injectable()
export class UsageProjector extends BatchConsumer<UsageBatch> implements OnModuleInit {
  constructor(
    @Inject(KAFKA) kafka: Kafka,
    @Inject(MONGO_CONNECTION) connection: Connection,
    @Inject(SERVICE_CONFIG) config: ServiceConfig,
    usage: UsageRepository,
    metrics: Metrics,
    private readonly consumers: EventConsumers,
  ) {
    const logger = new Logger('UsageProjector');
    super(kafka, connection, {
      name: 'usage',
      topic: topicName(config, USAGE_TOPIC),
      groupId: `${config.topicPrefix}keyward-keys-usage`,
      events: USAGE_EVENTS,
      createBatch: () => new UsageBatch(),
      write: async (batch) => {
        const changed = await usage.apply(batch.reports);
        metrics.inc('usage_reports_applied_total', 'Usage reports of keys.usage that changed the usage read model', {}, changed);
      },
      onRestart: () => metrics.inc('usage_projector_restarts_total', 'Restarts of the keys.usage consumer'),
      log: { log: (m) => logger.log(m), warn: (m) => logger.warn(m) },
    });
  }

  onModuleInit(): void {
    // Started by the event transport once UsageEventsController's handler is bound (startServiceApp).
    this.consumers.register(this);
  }
}
