import type { DynamicModule } from '@nestjs/common';
import { Global, Module } from '@nestjs/common';
import type { ServiceConfig } from '@keyward/config';
import { loadServiceConfig } from '@keyward/config';
import type { ServiceName } from '@keyward/contracts';
import { CLOCK, systemClock } from './clock/clock';
import { EventConsumers } from './events/event-consumers';
import type { Clock } from './clock/clock';
import { HealthController } from './health/health.controller';
import { ReadinessService } from './health/readiness.service';
import { InfraConnections } from './infra/infra-connections';
import { connectDatabase, connectKafka, InfraStatus } from './infra/infra-status';
import { Metrics } from './metrics/metrics';
import { INFRA_STATUS, KAFKA, MONGO_CONNECTION, SERVICE_CONFIG } from './tokens';

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
    const status = new InfraStatus();
    return {
      module: ServiceRuntimeModule,
      controllers: [HealthController],
      providers: [
        { provide: SERVICE_CONFIG, useValue: config },
        { provide: CLOCK, useValue: options.clock ?? systemClock },
        { provide: INFRA_STATUS, useValue: status },
        // Both resolve only once their dependency answers (retrying meanwhile), so nothing built
        // on them starts against a database or broker that is not there yet.
        { provide: MONGO_CONNECTION, inject: [INFRA_STATUS], useFactory: (status: InfraStatus) => connectDatabase(config, status) },
        { provide: KAFKA, inject: [INFRA_STATUS], useFactory: (status: InfraStatus) => connectKafka(config, status) },
        ReadinessService,
        InfraConnections,
        Metrics,
        EventConsumers,
      ],
      exports: [SERVICE_CONFIG, CLOCK, MONGO_CONNECTION, KAFKA, INFRA_STATUS, ReadinessService, Metrics, EventConsumers],
    };
  }
}
