import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import { DocumentProblems } from '@keyward/service-runtime';
import type { KeyWithSecret } from '../../application/key-commands.service';
import { KeyCommands } from '../../application/key-commands.service';
import { keyIdPipe } from '../../http/key-id.pipe';
import { NoStore } from '../../http/no-store';
import { RotateKeyDto } from './rotate-key.dto';

@Controller('v1/keys')
export class RotateKeyController {
  constructor(private readonly commands: KeyCommands) {}

  /** Issues a new secret (shown once, in this answer); the old one works until the grace period ends. */
  @DocumentProblems({ 403: ['permission_escalation'], 404: ['key_not_found'], 409: ['key_revoked', 'key_expired'], 422: ['grace_period_out_of_range'] })
  @Post(':keyId/rotate')
  @HttpCode(200)
  @NoStore()
  @RequirePermission('keys:manage')
  rotate(@Param('keyId', keyIdPipe) keyId: string, @Body() body: RotateKeyDto, @Caller() caller: AuthorizedKey): Promise<KeyWithSecret> {
    return this.commands.rotate(caller, keyId, body.gracePeriodSeconds);
  }
}
