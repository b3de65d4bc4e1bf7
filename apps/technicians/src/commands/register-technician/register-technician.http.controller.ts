import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import { DocumentProblems } from '@keyward/service-runtime';
import { TechnicianCommands } from '../../application/technician-commands.service';
import type { TechnicianView } from '../../application/technician.view';
import { RegisterTechnicianDto } from './register-technician.dto';

@Controller('v1/technicians')
export class RegisterTechnicianController {
  constructor(private readonly commands: TechnicianCommands) {}

  /** Registers a technician in the caller's account; 409 `technician_email_taken` when an active one has the email. */
  @DocumentProblems({ 409: ['technician_email_taken', 'technician_exists'], 422: ['invalid_name', 'invalid_email'] })
  @Post()
  @HttpCode(201)
  @RequirePermission('technicians:write')
  register(@Body() body: RegisterTechnicianDto, @Caller() caller: AuthorizedKey): Promise<TechnicianView> {
    return this.commands.register(caller, body);
  }
}
