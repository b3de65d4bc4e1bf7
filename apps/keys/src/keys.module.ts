import type { DynamicModule } from '@nestjs/common';
import { Module } from '@nestjs/common';
import type { ServiceConfig } from '@keyward/config';
import { EventStoreModule } from '@keyward/event-store';
import type { KeyAuthOptions } from '@keyward/key-auth';
import { KeyAuthModule } from '@keyward/key-auth';
import { OperatorApiModule } from '@keyward/operator-api';
import type { Clock } from '@keyward/service-runtime';
import { ServiceRuntimeModule } from '@keyward/service-runtime';
import { KeyCommandsService } from './application/key-commands.service';
import { KeyQueries } from './application/key-queries';
import { KeyViewsMaintenance } from './application/key-views.maintenance';
import { KeyViewsRepository } from './application/key-views.repository';
import { ChangeKeyController } from './commands/change-key/change-key.http.controller';
import { CreateKeyController } from './commands/create-key/create-key.http.controller';
import { ExpirySchedule } from './commands/expire-keys/expiry-schedule';
import { ExpiryScheduler } from './commands/expire-keys/expiry-scheduler';
import { RotateKeyController } from './commands/rotate-key/rotate-key.http.controller';
import { GetKeyController } from './queries/get-key/get-key.http.controller';
import { KeyHistoryController } from './queries/key-history/key-history.http.controller';
import { ListKeysController } from './queries/list-keys/list-keys.http.controller';
import { KeyUsageController } from './queries/key-usage/key-usage.http.controller';
import { KeyUsageQueries } from './usage/key-usage.queries';
import { UsageProjector } from './usage/usage.projector';
import { UsageRepository } from './usage/usage.repository';

export interface KeysModuleOptions {
  readonly config?: ServiceConfig;
  readonly clock?: Clock;
  readonly keyAuth?: Partial<KeyAuthOptions>;
}

/** The keys service: the ApiKey aggregate, its management API, the expiry scheduler. */
@Module({})
export class KeysModule {
  static forRoot(options: KeysModuleOptions = {}): DynamicModule {
    return {
      module: KeysModule,
      imports: [
        ServiceRuntimeModule.forRoot({ service: 'keys', ...(options.config ? { config: options.config } : {}), ...(options.clock ? { clock: options.clock } : {}) }),
        // Every key projection measures its freshness by the relay's watermarks (docs/consumers.md).
        EventStoreModule.forRoot({ watermarks: true }),
        KeyAuthModule.forRoot(options.keyAuth),
        OperatorApiModule.forRoot(),
      ],
      controllers: [
        CreateKeyController, ListKeysController, GetKeyController, KeyHistoryController, ChangeKeyController, RotateKeyController,
        KeyUsageController,
      ],
      providers: [
        KeyViewsRepository, KeyCommandsService, KeyQueries, KeyViewsMaintenance, ExpirySchedule, ExpiryScheduler,
        // Usage per key (docs/usage.md): the read model of keys.usage, its consumer and its query.
        UsageRepository, UsageProjector, KeyUsageQueries,
      ],
    };
  }
}
