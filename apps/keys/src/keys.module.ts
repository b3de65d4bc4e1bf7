import type { DynamicModule } from '@nestjs/common';
import { Module } from '@nestjs/common';
import type { ServiceModuleOptions } from '@keyward/operator-api';
import { ServicePlatformModule } from '@keyward/operator-api';
import { apiKeyProviders } from './application/api-key.aggregate';
import { ExpirySchedule } from './application/expiry-schedule';
import { KeyCommands } from './application/key-commands.service';
import { KeyQueries } from './application/key-queries';
import { ChangeAllowedIpsController } from './commands/change-allowed-ips/change-allowed-ips.http.controller';
import { ChangeAllowedOriginsController } from './commands/change-allowed-origins/change-allowed-origins.http.controller';
import { ChangeExpiryController } from './commands/change-expiry/change-expiry.http.controller';
import { ChangePermissionsController } from './commands/change-permissions/change-permissions.http.controller';
import { ChangeRateLimitController } from './commands/change-rate-limit/change-rate-limit.http.controller';
import { CreateKeyController } from './commands/create-key/create-key.http.controller';
import { DisableKeyController } from './commands/disable-key/disable-key.http.controller';
import { EnableKeyController } from './commands/enable-key/enable-key.http.controller';
import { ExpiryScheduler } from './commands/expire-keys/expiry-scheduler';
import { RevokeKeyController } from './commands/revoke-key/revoke-key.http.controller';
import { RotateKeyController } from './commands/rotate-key/rotate-key.http.controller';
import { GetKeyController } from './queries/get-key/get-key.http.controller';
import { KeyHistoryController } from './queries/key-history/key-history.http.controller';
import { ListKeysController } from './queries/list-keys/list-keys.http.controller';
import { KeyUsageController } from './queries/key-usage/key-usage.http.controller';
import { KeyUsageQueries } from './usage/key-usage.queries';
import { UsageEventsController } from './usage/usage-events.controller';
import { UsageProjector } from './usage/usage.projector';
import { UsageRepository } from './usage/usage.repository';

export type KeysModuleOptions = ServiceModuleOptions;

/** The keys service: the ApiKey aggregate, its management API, the expiry scheduler. */
@Module({})
export class KeysModule {
  static forRoot(options: KeysModuleOptions = {}): DynamicModule {
    return {
      module: KeysModule,
      imports: [
        ServicePlatformModule.forRoot({
          service: 'keys', ...options,
          // Every key projection measures its freshness by the relay's watermarks (docs/consumers.md).
          eventStore: { watermarks: true },
        }),
      ],
      // In the order the routes were registered before one use case got one folder: the API document lists them alike.
      controllers: [
        CreateKeyController, ListKeysController, GetKeyController, KeyHistoryController,
        DisableKeyController, EnableKeyController, ChangeExpiryController, ChangePermissionsController, ChangeAllowedIpsController,
        ChangeAllowedOriginsController, ChangeRateLimitController, RevokeKeyController, RotateKeyController,
        KeyUsageController,
        // No routes: the @EventPattern handler of keys.usage (UsageProjector's events, docs/consumers.md).
        UsageEventsController,
      ],
      providers: [
        // The ApiKey aggregate on the shared event store, its read model (`key_views`, rebuildable by operators).
        ...apiKeyProviders(), KeyCommands, KeyQueries, ExpirySchedule, ExpiryScheduler,
        // Usage per key (docs/usage.md): the read model of keys.usage, its consumer and its query.
        UsageRepository, UsageProjector, KeyUsageQueries,
      ],
    };
  }
}
