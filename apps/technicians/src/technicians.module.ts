import type { DynamicModule } from '@nestjs/common';
import { Module } from '@nestjs/common';
import type { ServiceConfig } from '@keyward/config';
import { KeyAuthModule } from '@keyward/key-auth';
import { OperatorApiModule } from '@keyward/operator-api';
import type { Clock } from '@keyward/service-runtime';
import { ServiceRuntimeModule } from '@keyward/service-runtime';

export interface TechniciansModuleOptions {
  readonly config?: ServiceConfig;
  readonly clock?: Clock;
}

@Module({})
export class TechniciansModule {
  static forRoot(options: TechniciansModuleOptions = {}): DynamicModule {
    return {
      module: TechniciansModule,
      imports: [
        ServiceRuntimeModule.forRoot({ service: 'technicians', ...options }),
        KeyAuthModule.forRoot(),
        OperatorApiModule.forRoot(),
      ],
    };
  }
}
