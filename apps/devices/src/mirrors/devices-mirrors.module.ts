import type { DynamicModule } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { mirrorsModule, techniciansMirror } from '@keyward/projections';
import { TECHNICIANS_MIRROR } from '../application/device.aggregate';

/** Other services' entities devices needs: the technicians that own devices. */
@Module({})
export class DevicesMirrorsModule {
  static forRoot(): DynamicModule {
    return mirrorsModule(DevicesMirrorsModule, [techniciansMirror(TECHNICIANS_MIRROR)]);
  }
}
