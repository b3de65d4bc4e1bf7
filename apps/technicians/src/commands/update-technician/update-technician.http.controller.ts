import { Body, Controller, Param, Patch } from '@nestjs/common';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import { DocumentProblems } from '@keyward/service-runtime';
import { TechnicianCommands } from '../../application/technician-commands.service';
import type { TechnicianView } from '../../application/technician.view';
import { technicianIdPipe } from '../../http/technician-id.pipe';
import { UpdateTechnicianDto } from './update-technician.dto';

@Controller('v1/technicians')
export class UpdateTechnicianController {
  constructor(private readonly commands: TechnicianCommands) {}

  /** Changes the name and/or email; unchanged values record nothing. A deactivated technician answers 409. */
  @DocumentProblems({ 404: ['technician_not_found'], 409: ['technician_email_taken', 'technician_deactivated'], 422: ['invalid_name', 'invalid_email', 'nothing_to_update'] })
  @Patch(':technicianId')
  @RequirePermission('technicians:write')
  update(@Param('technicianId', technicianIdPipe) id: string, @Body() body: UpdateTechnicianDto, @Caller() caller: AuthorizedKey): Promise<TechnicianView> {
    return this.commands.update(caller, id, body);
  }
}
