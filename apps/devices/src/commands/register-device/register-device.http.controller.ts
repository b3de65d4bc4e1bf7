import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { definedFields } from '@keyward/contracts';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import { DocumentProblems } from '@keyward/service-runtime';
import { DeviceCommands } from '../../application/device-commands.service';
import type { DeviceView } from '../../application/device.view';
import { RegisterDeviceDto } from './register-device.dto';

@Controller('v1/devices')
export class RegisterDeviceController {
  constructor(private readonly commands: DeviceCommands) {}

  /** Registers a device in the caller's account and answers 201 with its view. */
  @DocumentProblems({ 422: ['invalid_name', 'unsupported_os', 'invalid_hostname', 'invalid_tag', 'too_many_tags', 'invalid_owner_technician_id', 'unknown_technician', 'technician_deactivated'], 503: ['references_unavailable'] })
  @Post()
  @HttpCode(201)
  @RequirePermission('devices:write')
  register(@Body() body: RegisterDeviceDto, @Caller() caller: AuthorizedKey): Promise<DeviceView> {
    return this.commands.register(caller, {
      name: body.name,
      os: body.os,
      hostname: body.hostname,
      ...definedFields({ tags: body.tags, ownerTechnicianId: body.ownerTechnicianId }),
    });
  }
}
