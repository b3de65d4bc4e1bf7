import type { DynamicModule } from '@nestjs/common';
import { Module } from '@nestjs/common';
import type { ServiceConfig } from '@keyward/config';
import { KeyAuthModule } from '@keyward/key-auth';
import { OperatorApiModule } from '@keyward/operator-api';
import type { Clock } from '@keyward/service-runtime';
import { ServiceRuntimeModule } from '@keyward/service-runtime';

export interface SessionsModuleOptions {
  readonly config?: ServiceConfig;
  readonly clock?: Clock;
}

@Module({})
export class SessionsModule {
  static forRoot(options: SessionsModuleOptions = {}): DynamicModule {
    return {
      module: SessionsModule,
      imports: [
        ServiceRuntimeModule.forRoot({ service: 'sessions', ...options }),
        KeyAuthModule.forRoot(),
        OperatorApiModule.forRoot(),
      ],
    };
  }
}
