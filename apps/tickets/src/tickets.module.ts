import type { DynamicModule } from '@nestjs/common';
import { Module } from '@nestjs/common';
import type { ServiceConfig } from '@keyward/config';
import { KeyAuthModule } from '@keyward/key-auth';
import { OperatorApiModule } from '@keyward/operator-api';
import type { Clock } from '@keyward/service-runtime';
import { ServiceRuntimeModule } from '@keyward/service-runtime';

export interface TicketsModuleOptions {
  readonly config?: ServiceConfig;
  readonly clock?: Clock;
}

@Module({})
export class TicketsModule {
  static forRoot(options: TicketsModuleOptions = {}): DynamicModule {
    return {
      module: TicketsModule,
      imports: [
        ServiceRuntimeModule.forRoot({ service: 'tickets', ...options }),
        KeyAuthModule.forRoot(),
        OperatorApiModule.forRoot(),
      ],
    };
  }
}
