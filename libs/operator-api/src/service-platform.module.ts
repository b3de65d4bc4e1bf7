import type { DynamicModule } from '@nestjs/common';
import { Module } from '@nestjs/common';
import type { ServiceConfig } from '@keyward/config';
import type { ServiceName } from '@keyward/contracts';
import type { EventStoreModuleOptions } from '@keyward/event-store';
import { EventStoreModule } from '@keyward/event-store';
import type { KeyAuthOptions } from '@keyward/key-auth';
import { KeyAuthModule } from '@keyward/key-auth';
import type { Clock } from '@keyward/service-runtime';
import { ServiceRuntimeModule } from '@keyward/service-runtime';
import { OperatorApiModule } from './operator-api.module';

/** What a service's root module takes: overrides for tests (a fixed config, a clock the spec moves). */
export interface ServiceModuleOptions {
  readonly config?: ServiceConfig;
  readonly clock?: Clock;
}

export interface ServicePlatformOptions extends ServiceModuleOptions {
  readonly service: ServiceName;
  readonly eventStore?: EventStoreModuleOptions;
  readonly keyAuth?: Partial<KeyAuthOptions>;
}

/**
 * What every service with an event-sourced aggregate is built on, imported once by its root
 * module: the runtime (config, clock, database, Kafka, /health, /ready), the event store and its
 * outbox relay, key authorization (the key projection and guard) and the operator API (/admin,
 * /metrics). Each of them is global, so the service's own providers inject what they export.
 * Lives in the top lib because it composes the libs below it (docs/layers.md).
 */
@Module({})
export class ServicePlatformModule {
  static forRoot(options: ServicePlatformOptions): DynamicModule {
    return {
      module: ServicePlatformModule,
      imports: [
        ServiceRuntimeModule.forRoot({
          service: options.service,
          ...(options.config ? { config: options.config } : {}),
          ...(options.clock ? { clock: options.clock } : {}),
        }),
        EventStoreModule.forRoot(options.eventStore),
        KeyAuthModule.forRoot(options.keyAuth),
        OperatorApiModule.forRoot(),
      ],
    };
  }
}
