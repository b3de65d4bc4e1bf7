import { Controller, Delete, HttpCode, Param } from '@nestjs/common';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import { DocumentProblems } from '@keyward/service-runtime';
import { DeviceCommands } from '../../application/device-commands.service';
import type { DeviceView } from '../../application/device.view';
import { deviceIdPipe } from '../../http/device-id.pipe';

@Controller('v1/devices')
export class RemoveDeviceController {
  constructor(private readonly commands: DeviceCommands) {}

  /**
   * Removes the device and answers 200 with its view (status `removed`): a soft delete, the device
   * stays readable by id. Idempotent: removing a removed device answers it again and records nothing.
   */
  @DocumentProblems({ 404: ['device_not_found'] })
  @Delete(':deviceId')
  @HttpCode(200)
  @RequirePermission('devices:write')
  remove(@Param('deviceId', deviceIdPipe) id: string, @Caller() caller: AuthorizedKey): Promise<DeviceView> {
    return this.commands.remove(caller, id);
  }
}
