import { Body, Controller, Param, Patch } from '@nestjs/common';
import { definedFields } from '@keyward/contracts';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import { DocumentProblems } from '@keyward/service-runtime';
import { DeviceCommands } from '../../application/device-commands.service';
import type { DeviceView } from '../../application/device.view';
import { deviceIdPipe } from '../../http/device-id.pipe';
import { UpdateDeviceDto } from './update-device.dto';

@Controller('v1/devices')
export class UpdateDeviceController {
  constructor(private readonly commands: DeviceCommands) {}

  /** Changes the given fields; unchanged values record nothing. A removed device answers 409 `device_removed`. */
  @DocumentProblems({ 404: ['device_not_found'], 409: ['device_removed'], 422: ['invalid_name', 'unsupported_os', 'invalid_hostname', 'invalid_tag', 'too_many_tags', 'invalid_owner_technician_id', 'unknown_technician', 'technician_deactivated', 'nothing_to_update'], 503: ['references_unavailable'] })
  @Patch(':deviceId')
  @RequirePermission('devices:write')
  update(@Param('deviceId', deviceIdPipe) id: string, @Body() body: UpdateDeviceDto, @Caller() caller: AuthorizedKey): Promise<DeviceView> {
    return this.commands.update(caller, id, {
      ...definedFields({ name: body.name, os: body.os, hostname: body.hostname, tags: body.tags, ownerTechnicianId: body.ownerTechnicianId }),
    });
  }
}
