import type { DynamicModule } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { ServiceConfig } from '@keyward/config';
import { SERVICE_CONFIG } from '@keyward/service-runtime';
import type { KeyAuthOptions } from './key-auth.options';
import { KEY_AUTH_OPTIONS, keyAuthOptionsFrom } from './key-auth.options';
import { KeyEventsController } from './key-events.controller';
import { KeyProjection } from './key-projection.service';
import { KeyGuard } from './key.guard';
import { UsageReporter } from './usage-reporter.service';

/**
 * The key projection (its events applied by KeyEventsController) and the guard, the same in every service: import once in the app module;
 * then @RequirePermission on a route is all a handler needs.
 */
@Module({})
export class KeyAuthModule {
  static forRoot(overrides: Partial<KeyAuthOptions> = {}): DynamicModule {
    return {
      module: KeyAuthModule,
      global: true,
      controllers: [KeyEventsController],
      providers: [
        {
          provide: KEY_AUTH_OPTIONS,
          inject: [SERVICE_CONFIG],
          useFactory: (config: ServiceConfig): KeyAuthOptions => ({ ...keyAuthOptionsFrom(config), ...overrides }),
        },
        KeyProjection,
        UsageReporter,
        KeyGuard,
        { provide: APP_GUARD, useExisting: KeyGuard },
      ],
      exports: [KeyProjection, KEY_AUTH_OPTIONS, UsageReporter],
    };
  }
}
