import { Body, Controller, Param, Put } from '@nestjs/common';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import { DocumentProblems } from '@keyward/service-runtime';
import { KeyCommands } from '../../application/key-commands.service';
import type { KeyDto } from '../../application/key-view.dto';
import { keyIdPipe } from '../../http/key-id.pipe';
import { ChangeAllowedOriginsDto } from './change-allowed-origins.dto';

@Controller('v1/keys')
export class ChangeAllowedOriginsController {
  constructor(private readonly commands: KeyCommands) {}

  /** Replaces the web origins the key may be used from (docs/browser-keys.md); answers the key as it now is. */
  @DocumentProblems({ 403: ['permission_escalation'], 404: ['key_not_found'], 409: ['key_revoked'], 422: ['too_many_allowed_origins', 'invalid_origin'] })
  @Put(':keyId/allowed-origins')
  @RequirePermission('keys:manage')
  changeAllowedOrigins(@Param('keyId', keyIdPipe) keyId: string, @Body() body: ChangeAllowedOriginsDto, @Caller() caller: AuthorizedKey): Promise<KeyDto> {
    return this.commands.changeAllowedOrigins(caller, keyId, { allowedOrigins: body.allowedOrigins });
  }
}
