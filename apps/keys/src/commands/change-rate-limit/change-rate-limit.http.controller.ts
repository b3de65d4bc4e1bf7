import { Body, Controller, Param, Put } from '@nestjs/common';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import { DocumentProblems } from '@keyward/service-runtime';
import { KeyCommands } from '../../application/key-commands.service';
import type { KeyDto } from '../../application/key-view.dto';
import { keyIdPipe } from '../../http/key-id.pipe';
import { ChangeRateLimitDto } from './change-rate-limit.dto';

@Controller('v1/keys')
export class ChangeRateLimitController {
  constructor(private readonly commands: KeyCommands) {}

  /** Replaces the key's rate limit, or removes it (null, private keys only); answers the key as it now is. */
  @DocumentProblems({ 403: ['permission_escalation'], 404: ['key_not_found'], 409: ['key_revoked'], 422: ['invalid_rate_limit', 'rate_limit_required'] })
  @Put(':keyId/rate-limit')
  @RequirePermission('keys:manage')
  changeRateLimit(@Param('keyId', keyIdPipe) keyId: string, @Body() body: ChangeRateLimitDto, @Caller() caller: AuthorizedKey): Promise<KeyDto> {
    return this.commands.changeRateLimit(caller, keyId, { rateLimit: body.rateLimit });
  }
}
