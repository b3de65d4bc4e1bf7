import type { DynamicModule } from '@nestjs/common';
import { Global, Module } from '@nestjs/common';
import mongoose from 'mongoose';
import type { ServiceConfig } from '@keyward/config';
import { loadServiceConfig } from '@keyward/config';
import type { ServiceName } from '@keyward/contracts';
import { createKafka } from '@keyward/messaging';
import { CLOCK, systemClock } from './clock/clock';
import type { Clock } from './clock/clock';
import { HealthController } from './health/health.controller';
import { ReadinessService } from './health/readiness.service';
import { InfraConnections } from './infra/infra-connections';
import { Metrics } from './metrics/metrics';
import { KAFKA, MONGO_CONNECTION, SERVICE_CONFIG } from './tokens';

export interface ServiceRuntimeOptions {
  readonly service: ServiceName;
  /** Overrides for tests: a fixed config or a controllable clock. */
  readonly config?: ServiceConfig;
  readonly clock?: Clock;
}

/**
 * What every service has: its configuration, the clock, its own database connection, a Kafka
 * client, /health and /ready. Imported once, by the app module.
 */
@Global()
@Module({})
export class ServiceRuntimeModule {
  static forRoot(options: ServiceRuntimeOptions): DynamicModule {
    const config = options.config ?? loadServiceConfig(options.service);
    return {
      module: ServiceRuntimeModule,
      controllers: [HealthController],
      providers: [
        { provide: SERVICE_CONFIG, useValue: config },
        { provide: CLOCK, useValue: options.clock ?? systemClock },
        {
          provide: MONGO_CONNECTION,
          useFactory: () => mongoose.createConnection(config.mongodbUri, {
            dbName: config.mongodbDatabase,
            serverSelectionTimeoutMS: 5000,
            // FerretDB has no sessions or transactions; the drivers' implicit sessions are fine,
            // but nothing here may depend on multi-document transactions.
            autoIndex: true,
          }),
        },
        { provide: KAFKA, useFactory: () => createKafka(config) },
        ReadinessService,
        InfraConnections,
        Metrics,
      ],
      exports: [SERVICE_CONFIG, CLOCK, MONGO_CONNECTION, KAFKA, ReadinessService, Metrics],
    };
  }
}
