import type { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Connection } from 'mongoose';
import type { ServiceConfig } from '@keyward/config';
import { kafkaReachable } from '@keyward/messaging';
import { ReadinessService } from '../health/readiness.service';
import { INFRA_STATUS, MONGO_CONNECTION, SERVICE_CONFIG } from '../tokens';
import type { InfraStatus } from './infra-status';

/**
 * Registers the database and Kafka with readiness (each probe bounded, see ReadinessService) and
 * closes both on shutdown. The connections themselves are made by their providers (infra-status).
 */
@Injectable()
export class InfraConnections implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Infra');

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    @Inject(MONGO_CONNECTION) private readonly mongo: Connection,
    @Inject(INFRA_STATUS) private readonly status: InfraStatus,
    private readonly readiness: ReadinessService,
  ) {}

  onModuleInit(): void {
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
        const admin = this.status.admin;
        if (!admin) return { ready: false, detail: this.status.kafka.detail ?? 'not connected' };
        await kafkaReachable(admin);
        return { ready: true };
      },
    });
    this.logger.log(`connected to Kafka ${this.config.kafkaBrokers.join(',')} and database ${this.config.mongodbDatabase}`);
  }

  async onApplicationShutdown(): Promise<void> {
    this.status.stop();
    await this.status.admin?.disconnect().catch(() => undefined);
    await this.mongo.close().catch(() => undefined);
  }
}
