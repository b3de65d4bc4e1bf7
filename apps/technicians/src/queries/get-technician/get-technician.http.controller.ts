import { Controller, Get, Param } from '@nestjs/common';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import { DocumentProblems } from '@keyward/service-runtime';
import { TechnicianQueries } from '../../application/technician-queries';
import type { TechnicianView } from '../../application/technician.view';
import { technicianIdPipe } from '../../http/technician-id.pipe';

@Controller('v1/technicians')
export class GetTechnicianController {
  constructor(private readonly queries: TechnicianQueries) {}

  /** A technician of the caller's account, active or deactivated; another account's id is 404 like a missing one. */
  @DocumentProblems({ 404: ['technician_not_found'] })
  @Get(':technicianId')
  @RequirePermission('technicians:read')
  get(@Param('technicianId', technicianIdPipe) id: string, @Caller() caller: AuthorizedKey): Promise<TechnicianView> {
    return this.queries.get(caller.accountId, id);
  }
}
