import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { definedFields } from '@keyward/contracts';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import { DocumentProblems } from '@keyward/service-runtime';
import type { KeyWithSecret } from '../../application/key-commands.service';
import { KeyCommands } from '../../application/key-commands.service';
import { NoStore } from '../../http/no-store';
import { CreateKeyDto } from './create-key.dto';

@Controller('v1/keys')
export class CreateKeyController {
  constructor(private readonly commands: KeyCommands) {}

  /** Creates a key and answers its secret, once: it is never stored and never shown again. */
  @DocumentProblems({ 403: ['permission_escalation'], 409: ['key_exists'], 422: ['invalid_kind', 'invalid_name', 'permissions_required', 'unknown_permission', 'permission_not_public_safe', 'too_many_allowed_ips', 'invalid_ip', 'too_many_allowed_origins', 'invalid_origin', 'invalid_rate_limit', 'rate_limit_required', 'invalid_expiry', 'expiry_in_past', 'expiry_too_far'] })
  @Post()
  @HttpCode(201)
  @NoStore()
  @RequirePermission('keys:manage')
  create(@Body() body: CreateKeyDto, @Caller() caller: AuthorizedKey): Promise<KeyWithSecret> {
    return this.commands.create(caller, {
      kind: body.kind,
      name: body.name,
      permissions: body.permissions,
      allowedIps: body.allowedIps ?? [],
      ...definedFields({ allowedOrigins: body.allowedOrigins, rateLimit: body.rateLimit, expiresAt: body.expiresAt }),
    });
  }
}
