import type { DynamicModule } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { mirrorsModule, techniciansMirror } from '@keyward/projections';

/** Other services' entities devices needs: the technicians that own devices. */
@Module({})
export class DevicesMirrorsModule {
  static forRoot(): DynamicModule {
    return mirrorsModule(DevicesMirrorsModule, [techniciansMirror()]);
  }
}
