import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { definedFields } from '@keyward/contracts';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import { DocumentProblems } from '@keyward/service-runtime';
import { KeyCommands } from '../../application/key-commands.service';
import type { KeyDto } from '../../application/key-view.dto';
import { keyIdPipe } from '../../http/key-id.pipe';
import { EnableKeyDto } from './enable-key.dto';

@Controller('v1/keys')
export class EnableKeyController {
  constructor(private readonly commands: KeyCommands) {}

  /** Enables a disabled key (with a new expiry when its own has passed); answers the key as it now is. */
  @DocumentProblems({ 403: ['permission_escalation'], 404: ['key_not_found'], 409: ['key_revoked', 'key_already_active'], 422: ['expiry_required', 'invalid_expiry', 'expiry_in_past', 'expiry_too_far'] })
  @Post(':keyId/enable')
  @HttpCode(200)
  @RequirePermission('keys:manage')
  enable(@Param('keyId', keyIdPipe) keyId: string, @Body() body: EnableKeyDto, @Caller() caller: AuthorizedKey): Promise<KeyDto> {
    return this.commands.enable(caller, keyId, definedFields({ expiresAt: body.expiresAt }));
  }
}
