import type { DynamicModule } from '@nestjs/common';
import { Module } from '@nestjs/common';
import type { ServiceModuleOptions } from '@keyward/operator-api';
import { ServicePlatformModule } from '@keyward/operator-api';
import { technicianProviders } from './application/technician.aggregate';
import { TechnicianCommands } from './application/technician-commands.service';
import { TechnicianQueries } from './application/technician-queries';
import { DeactivateTechnicianController } from './commands/deactivate-technician/deactivate-technician.http.controller';
import { RegisterTechnicianController } from './commands/register-technician/register-technician.http.controller';
import { UpdateTechnicianController } from './commands/update-technician/update-technician.http.controller';
import { GetTechnicianController } from './queries/get-technician/get-technician.http.controller';
import { ListTechniciansController } from './queries/list-technicians/list-technicians.http.controller';

export type TechniciansModuleOptions = ServiceModuleOptions;

/** The technicians service: the Technician aggregate, its read model and the Technician API. */
@Module({})
export class TechniciansModule {
  static forRoot(options: TechniciansModuleOptions = {}): DynamicModule {
    return {
      module: TechniciansModule,
      imports: [ServicePlatformModule.forRoot({ service: 'technicians', ...options })],
      controllers: [
        RegisterTechnicianController, ListTechniciansController, GetTechnicianController, UpdateTechnicianController, DeactivateTechnicianController,
      ],
      providers: [...technicianProviders(), TechnicianCommands, TechnicianQueries],
    };
  }
}
