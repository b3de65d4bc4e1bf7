import { Controller, Get, Param } from '@nestjs/common';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import { DocumentProblems } from '@keyward/service-runtime';
import { DeviceQueries } from '../../application/device-queries';
import type { DeviceView } from '../../application/device.view';
import { deviceIdPipe } from '../../http/device-id.pipe';

@Controller('v1/devices')
export class GetDeviceController {
  constructor(private readonly queries: DeviceQueries) {}

  /** A device of the caller's account, removed ones included; another account's id is 404 like a missing one. */
  @DocumentProblems({ 404: ['device_not_found'] })
  @Get(':deviceId')
  @RequirePermission('devices:read')
  get(@Param('deviceId', deviceIdPipe) id: string, @Caller() caller: AuthorizedKey): Promise<DeviceView> {
    return this.queries.get(caller.accountId, id);
  }
}
