import { Controller, Get, Query } from '@nestjs/common';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import { TechnicianQueries } from '../../application/technician-queries';
import type { TechnicianPage } from '../../application/technician.view';
import { ListTechniciansQueryDto } from './list-technicians.dto';

@Controller('v1/technicians')
export class ListTechniciansController {
  constructor(private readonly queries: TechnicianQueries) {}

  /** The caller's account's technicians, newest first, `limit` (1-100, default 20) a page. */
  @Get()
  @RequirePermission('technicians:read')
  list(@Query() query: ListTechniciansQueryDto, @Caller() caller: AuthorizedKey): Promise<TechnicianPage> {
    return this.queries.list(caller.accountId, query);
  }
}
