import { Body, Controller, Param, Put } from '@nestjs/common';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import { DocumentProblems } from '@keyward/service-runtime';
import { KeyCommands } from '../../application/key-commands.service';
import type { KeyDto } from '../../application/key-view.dto';
import { keyIdPipe } from '../../http/key-id.pipe';
import { ChangeExpiryDto } from './change-expiry.dto';

@Controller('v1/keys')
export class ChangeExpiryController {
  constructor(private readonly commands: KeyCommands) {}

  /** Moves the key's expiry (at most one year from now); answers the key as it now is. */
  @DocumentProblems({ 403: ['permission_escalation'], 404: ['key_not_found'], 409: ['key_revoked'], 422: ['invalid_expiry', 'expiry_in_past', 'expiry_too_far'] })
  @Put(':keyId/expiry')
  @RequirePermission('keys:manage')
  changeExpiry(@Param('keyId', keyIdPipe) keyId: string, @Body() body: ChangeExpiryDto, @Caller() caller: AuthorizedKey): Promise<KeyDto> {
    return this.commands.changeExpiry(caller, keyId, { expiresAt: body.expiresAt });
  }
}
