import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import { DocumentProblems } from '@keyward/service-runtime';
import { TechnicianCommands } from '../../application/technician-commands.service';
import type { TechnicianView } from '../../application/technician.view';
import { technicianIdPipe } from '../../http/technician-id.pipe';
import { DeactivateTechnicianDto } from './deactivate-technician.dto';

@Controller('v1/technicians')
export class DeactivateTechnicianController {
  constructor(private readonly commands: TechnicianCommands) {}

  /** Deactivates the technician; idempotent: deactivating again answers the same technician and records nothing. */
  @DocumentProblems({ 404: ['technician_not_found'], 422: ['invalid_reason'] })
  @Post(':technicianId/deactivate')
  @HttpCode(200)
  @RequirePermission('technicians:write')
  deactivate(@Param('technicianId', technicianIdPipe) id: string, @Body() body: DeactivateTechnicianDto, @Caller() caller: AuthorizedKey): Promise<TechnicianView> {
    return this.commands.deactivate(caller, id, body.reason);
  }
}
