import type { DynamicModule } from '@nestjs/common';
import { Module } from '@nestjs/common';
import type { ServiceConfig } from '@keyward/config';
import { KeyAuthModule } from '@keyward/key-auth';
import { OperatorApiModule } from '@keyward/operator-api';
import type { Clock } from '@keyward/service-runtime';
import { ServiceRuntimeModule } from '@keyward/service-runtime';

export interface EdgeModuleOptions {
  readonly config?: ServiceConfig;
  readonly clock?: Clock;
}

@Module({})
export class EdgeModule {
  static forRoot(options: EdgeModuleOptions = {}): DynamicModule {
    return {
      module: EdgeModule,
      imports: [
        ServiceRuntimeModule.forRoot({ service: 'edge', ...options }),
        KeyAuthModule.forRoot(),
        OperatorApiModule.forRoot(),
      ],
    };
  }
}
