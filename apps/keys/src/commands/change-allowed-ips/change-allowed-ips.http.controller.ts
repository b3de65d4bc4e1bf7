import { Body, Controller, Param, Put } from '@nestjs/common';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import { DocumentProblems } from '@keyward/service-runtime';
import { KeyCommands } from '../../application/key-commands.service';
import type { KeyDto } from '../../application/key-view.dto';
import { keyIdPipe } from '../../http/key-id.pipe';
import { ChangeAllowedIpsDto } from './change-allowed-ips.dto';

@Controller('v1/keys')
export class ChangeAllowedIpsController {
  constructor(private readonly commands: KeyCommands) {}

  /** Replaces the addresses and ranges the key may be used from ([] = any); answers the key as it now is. */
  @DocumentProblems({ 403: ['permission_escalation'], 404: ['key_not_found'], 409: ['key_revoked'], 422: ['too_many_allowed_ips', 'invalid_ip'] })
  @Put(':keyId/allowed-ips')
  @RequirePermission('keys:manage')
  changeAllowedIps(@Param('keyId', keyIdPipe) keyId: string, @Body() body: ChangeAllowedIpsDto, @Caller() caller: AuthorizedKey): Promise<KeyDto> {
    return this.commands.changeAllowedIps(caller, keyId, { allowedIps: body.allowedIps });
  }
}
