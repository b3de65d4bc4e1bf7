import type { DynamicModule, OnModuleInit } from '@nestjs/common';
import { Injectable, Module } from '@nestjs/common';
import { KeyProjection } from '@keyward/key-auth';
import type { Connection } from 'mongoose';
import { DeadLetters, ProjectionRegistry } from '@keyward/projections';
import { MONGO_CONNECTION } from '@keyward/service-runtime';
import { MetricsController } from './metrics.http.controller';
import { OperatorController } from './operator.http.controller';
import { Republisher } from './republisher';

@Injectable()
class RegisterKeyProjection implements OnModuleInit {
  constructor(private readonly registry: ProjectionRegistry, private readonly keys: KeyProjection) {}

  onModuleInit(): void {
    this.registry.register(this.keys);
  }
}

/**
 * /admin and /metrics on every service, for the platform's operators only (OperatorGuard):
 * projection status, rebuild, event-store republish. The service's own
 * projections register with the exported ProjectionRegistry; the key projection is registered here.
 */
@Module({})
export class OperatorApiModule {
  static forRoot(): DynamicModule {
    return {
      module: OperatorApiModule,
      global: true,
      controllers: [OperatorController, MetricsController],
      providers: [
        ProjectionRegistry, Republisher, RegisterKeyProjection,
        { provide: DeadLetters, inject: [MONGO_CONNECTION], useFactory: (connection: Connection) => new DeadLetters(connection) },
      ],
      exports: [ProjectionRegistry],
    };
  }
}
