import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { Connection } from 'mongoose';
import type { ServiceConfig } from '@keyward/config';
import { topicName } from '@keyward/config';
import type { KeyEventEnvelope } from '@keyward/contracts';
import { isKeyEventType, KEYS_EVENTS_TOPIC } from '@keyward/contracts';
import { IndexedProjection } from '@keyward/projections';
import { KAFKA, MONGO_CONNECTION, ReadinessService, SERVICE_CONFIG } from '@keyward/service-runtime';
import { KeyIndex } from '../projection/key-index';
import type { KeyView } from '../projection/key-view';
import type { KeyAuthOptions } from './key-auth.options';
import { KEY_AUTH_OPTIONS } from './key-auth.options';

/**
 * Every key of every account, in memory, projected from `keys.events` with this service's own
 * consumer group; its views and checkpoint persisted in the service's own database (see
 * IndexedProjection). The guard reads `index` on every request; /ready waits for it to catch up.
 */
@Injectable()
export class KeyProjection extends IndexedProjection<KeyView, KeyIndex> implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(KAFKA) kafka: Kafka,
    @Inject(MONGO_CONNECTION) connection: Connection,
    @Inject(KEY_AUTH_OPTIONS) options: KeyAuthOptions,
    @Inject(SERVICE_CONFIG) config: ServiceConfig,
    private readonly readinessChecks: ReadinessService,
  ) {
    const logger = new Logger('KeyProjection');
    super(kafka, connection, {
      name: 'keys',
      topic: topicName(config, KEYS_EVENTS_TOPIC),
      groupId: options.groupId,
      collection: 'key_projection_views',
      createIndex: () => new KeyIndex(),
      parse: parseKeyEvent,
      maxStalenessMs: options.maxStalenessMs,
      itemNoun: 'keys',
      log: { log: (m) => logger.log(m), warn: (m) => logger.warn(m) },
    });
  }

  async onModuleInit(): Promise<void> {
    await this.start();
    this.readinessChecks.register({ name: 'key-projection', check: async () => this.readiness() });
  }
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
