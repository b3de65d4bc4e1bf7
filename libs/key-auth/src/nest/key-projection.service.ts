import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { Connection } from 'mongoose';
import type { ServiceConfig } from '@keyward/config';
import { topicName } from '@keyward/config';
import { KEY_EVENTS, KEYS_EVENTS_TOPIC } from '@keyward/contracts';
import { IndexedProjection, instanceGroupId, projectionSnapshotOptions, WatermarkFreshness, withSnapshot } from '@keyward/projections';
import { EventConsumers, KAFKA, MONGO_CONNECTION, ReadinessService, SERVICE_CONFIG } from '@keyward/service-runtime';
import { KeyIndex } from '../projection/key-index';
import type { KeyView } from '../projection/key-view';
import type { KeyAuthOptions } from './key-auth.options';
import { KEY_AUTH_OPTIONS } from './key-auth.options';

/**
 * Every key of every account, in memory, projected from `keys.events` with this service's own
 * consumer group; its views and checkpoint persisted in the service's own database (see
 * IndexedProjection). The guard reads `index` on every request; /ready waits for it to catch up.
 * It is current only while the newest watermark of the keys relay it has applied is within the
 * staleness bound (WatermarkFreshness). Its events are applied by KeyEventsController's
 * `@EventPattern` handlers.
 */
@Injectable()
export class KeyProjection extends IndexedProjection<KeyView, KeyIndex> implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(KAFKA) kafka: Kafka,
    @Inject(MONGO_CONNECTION) connection: Connection,
    @Inject(KEY_AUTH_OPTIONS) options: KeyAuthOptions,
    @Inject(SERVICE_CONFIG) config: ServiceConfig,
    private readonly readinessChecks: ReadinessService,
    private readonly consumers: EventConsumers,
  ) {
    const logger = new Logger('KeyProjection');
    const topic = topicName(config, KEYS_EVENTS_TOPIC);
    const log = { log: (m: string) => logger.log(m), warn: (m: string) => logger.warn(m) };
    super(kafka, connection, {
      name: 'keys',
      topic,
      groupId: options.groupId,
      collection: 'key_projection_views',
      createIndex: () => new KeyIndex(),
      parse: (value) => KEY_EVENTS.parse(value),
      eventTypes: KEY_EVENTS.types,
      maxStalenessMs: options.maxStalenessMs,
      // Current only as far as the keys relay's watermarks say it has applied (docs/consumers.md);
      // read by each instance on its own, like the keys themselves.
      freshness: new WatermarkFreshness(kafka, { topic, groupId: `${instanceGroupId(options.groupId, config.instanceId)}.watermarks`, log }),
      itemNoun: 'keys',
      ...withSnapshot(projectionSnapshotOptions(config)),
      // Every instance sees every key: its own group, checkpoint and views (docs/scaling.md).
      instanceId: config.instanceId,
      log,
    });
  }

  onModuleInit(): void {
    // Started by the event transport once KeyEventsController's handlers are bound (startServiceApp).
    this.consumers.register(this);
    this.readinessChecks.register({ name: 'key-projection', check: async () => this.readiness() });
  }
}
