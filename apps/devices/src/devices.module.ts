import type { DynamicModule } from '@nestjs/common';
import { Module } from '@nestjs/common';
import type { ServiceConfig } from '@keyward/config';
import { KeyAuthModule } from '@keyward/key-auth';
import { OperatorApiModule } from '@keyward/operator-api';
import type { Clock } from '@keyward/service-runtime';
import { ServiceRuntimeModule } from '@keyward/service-runtime';

export interface DevicesModuleOptions {
  readonly config?: ServiceConfig;
  readonly clock?: Clock;
}

@Module({})
export class DevicesModule {
  static forRoot(options: DevicesModuleOptions = {}): DynamicModule {
    return {
      module: DevicesModule,
      imports: [
        ServiceRuntimeModule.forRoot({ service: 'devices', ...options }),
        KeyAuthModule.forRoot(),
        OperatorApiModule.forRoot(),
      ],
    };
  }
}
