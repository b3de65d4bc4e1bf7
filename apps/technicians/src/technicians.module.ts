import type { DynamicModule } from '@nestjs/common';
import { Module } from '@nestjs/common';
import type { ServiceConfig } from '@keyward/config';
import { EventStoreModule } from '@keyward/event-store';
import { KeyAuthModule } from '@keyward/key-auth';
import { OperatorApiModule } from '@keyward/operator-api';
import type { Clock } from '@keyward/service-runtime';
import { ServiceRuntimeModule } from '@keyward/service-runtime';
import { technicianProviders } from './application/technician.aggregate';
import { TechnicianCommands } from './application/technician-commands.service';
import { TechnicianQueries } from './application/technician-queries';
import { DeactivateTechnicianController } from './commands/deactivate-technician/deactivate-technician.http.controller';
import { RegisterTechnicianController } from './commands/register-technician/register-technician.http.controller';
import { UpdateTechnicianController } from './commands/update-technician/update-technician.http.controller';
import { GetTechnicianController } from './queries/get-technician/get-technician.http.controller';
import { ListTechniciansController } from './queries/list-technicians/list-technicians.http.controller';

export interface TechniciansModuleOptions {
  readonly config?: ServiceConfig;
  readonly clock?: Clock;
}

/** The technicians service: the Technician aggregate, its read model and the Technician API. */
@Module({})
export class TechniciansModule {
  static forRoot(options: TechniciansModuleOptions = {}): DynamicModule {
    return {
      module: TechniciansModule,
      imports: [
        ServiceRuntimeModule.forRoot({ service: 'technicians', ...options }),
        EventStoreModule.forRoot(),
        KeyAuthModule.forRoot(),
        OperatorApiModule.forRoot(),
      ],
      controllers: [
        RegisterTechnicianController, ListTechniciansController, GetTechnicianController, UpdateTechnicianController, DeactivateTechnicianController,
      ],
      providers: [...technicianProviders(), TechnicianCommands, TechnicianQueries],
    };
  }
}
