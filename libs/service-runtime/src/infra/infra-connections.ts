import type { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Admin, Kafka } from 'kafkajs';
import type { Connection } from 'mongoose';
import type { ServiceConfig } from '@keyward/config';
import { topicName } from '@keyward/config';
import { SERVICES } from '@keyward/contracts';
import { ensureTopics, eventTopic, kafkaReachable } from '@keyward/messaging';
import { ReadinessService } from '../health/readiness.service';
import { KAFKA, MONGO_CONNECTION, SERVICE_CONFIG } from '../tokens';

/**
 * Connects the service to Kafka and its own database at start-up, creates the topic it publishes,
 * registers both with readiness, and closes them on shutdown.
 */
@Injectable()
export class InfraConnections implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Infra');
  private admin: Admin | undefined;

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(MONGO_CONNECTION) private readonly mongo: Connection,
    private readonly readiness: ReadinessService,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.mongo.asPromise();
    const admin = this.kafka.admin();
    await admin.connect();
    this.admin = admin;
    const own = SERVICES[this.config.service].topic;
    if (own) await ensureTopics(admin, [eventTopic(topicName(this.config, own))]);
    this.readiness.register({
      name: 'database',
      check: async () => {
        const db = this.mongo.db;
        if (!db) return { ready: false, detail: 'not connected' };
        await db.admin().command({ ping: 1 });
        return { ready: true };
      },
    });
    this.readiness.register({
      name: 'kafka',
      check: async () => {
        await kafkaReachable(admin);
        return { ready: true };
      },
    });
    this.logger.log(`connected to Kafka ${this.config.kafkaBrokers.join(',')} and database ${this.config.mongodbDatabase}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
    await this.mongo.close().catch(() => undefined);
  }
}
