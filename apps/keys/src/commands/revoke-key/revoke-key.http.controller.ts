import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { definedFields } from '@keyward/contracts';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import { DocumentProblems } from '@keyward/service-runtime';
import { KeyCommands } from '../../application/key-commands.service';
import type { KeyDto } from '../../application/key-view.dto';
import { keyIdPipe } from '../../http/key-id.pipe';
import { ReasonDto } from '../../http/reason.dto';

@Controller('v1/keys')
export class RevokeKeyController {
  constructor(private readonly commands: KeyCommands) {}

  /** Revokes the key for good (revoking a revoked key changes nothing); answers the key as it now is. */
  @DocumentProblems({ 403: ['permission_escalation'], 404: ['key_not_found'], 422: ['invalid_reason'] })
  @Post(':keyId/revoke')
  @HttpCode(200)
  @RequirePermission('keys:manage')
  revoke(@Param('keyId', keyIdPipe) keyId: string, @Body() body: ReasonDto, @Caller() caller: AuthorizedKey): Promise<KeyDto> {
    return this.commands.revoke(caller, keyId, definedFields({ reason: body.reason }));
  }
}
