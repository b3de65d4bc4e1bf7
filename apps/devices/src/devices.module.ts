import type { DynamicModule } from '@nestjs/common';
import { Module } from '@nestjs/common';
import type { ServiceModuleOptions } from '@keyward/operator-api';
import { ServicePlatformModule } from '@keyward/operator-api';
import { deviceProviders } from './application/device.aggregate';
import { DeviceCommands } from './application/device-commands.service';
import { DeviceQueries } from './application/device-queries';
import { RegisterDeviceController } from './commands/register-device/register-device.http.controller';
import { RemoveDeviceController } from './commands/remove-device/remove-device.http.controller';
import { UpdateDeviceController } from './commands/update-device/update-device.http.controller';
import { GetDeviceController } from './queries/get-device/get-device.http.controller';
import { ListDevicesController } from './queries/list-devices/list-devices.http.controller';
import { DevicesMirrorsModule } from './mirrors/devices-mirrors.module';

export type DevicesModuleOptions = ServiceModuleOptions;

/** The devices service: the Device aggregate, its read model, the Device API, and a mirror of the technicians that own devices. */
@Module({})
export class DevicesModule {
  static forRoot(options: DevicesModuleOptions = {}): DynamicModule {
    return {
      module: DevicesModule,
      imports: [ServicePlatformModule.forRoot({ service: 'devices', ...options }), DevicesMirrorsModule.forRoot()],
      controllers: [RegisterDeviceController, ListDevicesController, GetDeviceController, UpdateDeviceController, RemoveDeviceController],
      providers: [...deviceProviders(), DeviceCommands, DeviceQueries],
    };
  }
}
