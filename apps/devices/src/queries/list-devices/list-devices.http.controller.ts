import { Controller, Get, Query } from '@nestjs/common';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import type { DevicePage } from '../../application/device.view';
import { DeviceQueries } from '../../application/device-queries';
import { ListDevicesQueryDto } from './list-devices.dto';

@Controller('v1/devices')
export class ListDevicesController {
  constructor(private readonly queries: DeviceQueries) {}

  /** The caller's account's devices, newest first, `limit` (1-100, default 20) a page; removed ones only with `includeRemoved=true`. */
  @Get()
  @RequirePermission('devices:read')
  list(@Query() query: ListDevicesQueryDto, @Caller() caller: AuthorizedKey): Promise<DevicePage> {
    return this.queries.list(caller.accountId, query);
  }
}
