import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { displayPrefix, generateToken, hashToken } from '@keyward/contracts';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import { DocumentProblems } from '@keyward/service-runtime';
import { KeyCommandsService, keyNotFound } from '../../application/key-commands.service';
import { KeyQueries } from '../../application/key-queries';
import type { KeyDto } from '../../application/key-view.dto';
import { by } from '../../http/command-caller';
import { keyIdPipe } from '../../http/key-id.pipe';
import { NoStore } from '../../http/no-store';
import { RotateKeyDto } from './rotate-key.dto';

@Controller('v1/keys/:keyId')
export class RotateKeyController {
  constructor(private readonly commands: KeyCommandsService, private readonly queries: KeyQueries) {}

  /** Issues a new secret (shown once, in this answer); the old one works until the grace period ends. */
  @DocumentProblems({ 403: ['permission_escalation'], 404: ['key_not_found'], 409: ['key_revoked', 'key_expired'], 422: ['grace_period_out_of_range'] })
  @Post('rotate')
  @HttpCode(200)
  @NoStore()
  @RequirePermission('keys:manage')
  async rotate(@Param('keyId', keyIdPipe) keyId: string, @Body() body: RotateKeyDto, @Caller() caller: AuthorizedKey): Promise<{ key: KeyDto; secret: string }> {
    const { state } = await this.commands.load(keyId);
    if (state === null || state.accountId !== caller.accountId) throw keyNotFound(keyId);
    const secret = generateToken(state.kind);
    const next = await this.commands.execute(keyId, {
      type: 'RotateKey',
      data: { ...by(caller), secretHash: hashToken(secret), tokenPrefix: displayPrefix(secret), gracePeriodSeconds: body.gracePeriodSeconds ?? 0 },
    }, { accountId: caller.accountId });
    return { key: await this.queries.dtoOf(next), secret };
  }
}
