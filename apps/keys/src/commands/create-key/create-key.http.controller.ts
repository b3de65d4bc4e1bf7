import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { displayPrefix, generateToken, hashToken } from '@keyward/contracts';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import { DocumentProblems, newId } from '@keyward/service-runtime';
import { KeyCommandsService } from '../../application/key-commands.service';
import { KeyQueries } from '../../application/key-queries';
import type { KeyDto } from '../../application/key-view.dto';
import { by } from '../../http/command-caller';
import { NoStore } from '../../http/no-store';
import { CreateKeyDto } from './create-key.dto';

@Controller('v1/keys')
export class CreateKeyController {
  constructor(private readonly commands: KeyCommandsService, private readonly queries: KeyQueries) {}

  /** Creates a key and answers its secret, once: it is never stored and never shown again. */
  @DocumentProblems({ 403: ['permission_escalation'], 409: ['key_exists'], 422: ['invalid_kind', 'invalid_name', 'permissions_required', 'unknown_permission', 'permission_not_public_safe', 'too_many_allowed_ips', 'invalid_ip', 'too_many_allowed_origins', 'invalid_origin', 'invalid_rate_limit', 'rate_limit_required', 'invalid_expiry', 'expiry_in_past', 'expiry_too_far'] })
  @Post()
  @HttpCode(201)
  @NoStore()
  @RequirePermission('keys:manage')
  async create(@Body() body: CreateKeyDto, @Caller() caller: AuthorizedKey): Promise<{ key: KeyDto; secret: string }> {
    const secret = generateToken(body.kind);
    const keyId = newId('key');
    const state = await this.commands.execute(keyId, {
      type: 'CreateKey',
      data: {
        keyId,
        accountId: caller.accountId,
        kind: body.kind,
        name: body.name,
        permissions: body.permissions,
        allowedIps: body.allowedIps ?? [],
        ...(body.allowedOrigins !== undefined ? { allowedOrigins: body.allowedOrigins } : {}),
        ...(body.rateLimit !== undefined ? { rateLimit: body.rateLimit } : {}),
        ...(body.expiresAt !== undefined ? { expiresAt: body.expiresAt } : {}),
        ...by(caller),
        secretHash: hashToken(secret),
        tokenPrefix: displayPrefix(secret),
      },
    }, { accountId: caller.accountId, newKey: true });
    return { key: await this.queries.dtoOf(state), secret };
  }
}
