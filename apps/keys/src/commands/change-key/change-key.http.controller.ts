import { Body, Controller, HttpCode, Param, Post, Put } from '@nestjs/common';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import { DocumentProblems } from '@keyward/service-runtime';
import { KeyCommandsService } from '../../application/key-commands.service';
import { KeyQueries } from '../../application/key-queries';
import type { KeyDto } from '../../application/key-view.dto';
import type { ApiKeyCommand } from '../../domain';
import { by } from '../../http/command-caller';
import { keyIdPipe } from '../../http/key-id.pipe';
import { ChangeAllowedOriginsDto, ChangeRateLimitDto } from '../../http/browser-limits.dto';
import { ChangeAllowedIpsDto, ChangeExpiryDto, ChangePermissionsDto, EnableKeyDto, ReasonDto } from './change-key.dto';

/** Every change to a key but rotation; each answers the key as it now is. */
@Controller('v1/keys/:keyId')
export class ChangeKeyController {
  constructor(private readonly commands: KeyCommandsService, private readonly queries: KeyQueries) {}

  @DocumentProblems({ 403: ['permission_escalation'], 404: ['key_not_found'], 409: ['key_revoked', 'key_expired'], 422: ['invalid_reason'] })
  @Post('disable')
  @HttpCode(200)
  @RequirePermission('keys:manage')
  disable(@Param('keyId', keyIdPipe) keyId: string, @Body() body: ReasonDto, @Caller() caller: AuthorizedKey): Promise<KeyDto> {
    return this.run(keyId, caller, { type: 'DisableKey', data: { ...by(caller), ...(body.reason !== undefined ? { reason: body.reason } : {}) } });
  }

  @DocumentProblems({ 403: ['permission_escalation'], 404: ['key_not_found'], 409: ['key_revoked', 'key_already_active'], 422: ['expiry_required', 'invalid_expiry', 'expiry_in_past', 'expiry_too_far'] })
  @Post('enable')
  @HttpCode(200)
  @RequirePermission('keys:manage')
  enable(@Param('keyId', keyIdPipe) keyId: string, @Body() body: EnableKeyDto, @Caller() caller: AuthorizedKey): Promise<KeyDto> {
    return this.run(keyId, caller, { type: 'EnableKey', data: { ...by(caller), ...(body.expiresAt !== undefined ? { expiresAt: body.expiresAt } : {}) } });
  }

  @DocumentProblems({ 403: ['permission_escalation'], 404: ['key_not_found'], 409: ['key_revoked'], 422: ['invalid_expiry', 'expiry_in_past', 'expiry_too_far'] })
  @Put('expiry')
  @RequirePermission('keys:manage')
  changeExpiry(@Param('keyId', keyIdPipe) keyId: string, @Body() body: ChangeExpiryDto, @Caller() caller: AuthorizedKey): Promise<KeyDto> {
    return this.run(keyId, caller, { type: 'ChangeExpiry', data: { ...by(caller), expiresAt: body.expiresAt } });
  }

  @DocumentProblems({ 403: ['permission_escalation'], 404: ['key_not_found'], 409: ['key_revoked'], 422: ['permissions_required', 'unknown_permission', 'permission_not_public_safe'] })
  @Put('permissions')
  @RequirePermission('keys:manage')
  changePermissions(@Param('keyId', keyIdPipe) keyId: string, @Body() body: ChangePermissionsDto, @Caller() caller: AuthorizedKey): Promise<KeyDto> {
    return this.run(keyId, caller, { type: 'ChangePermissions', data: { ...by(caller), permissions: body.permissions } });
  }

  @DocumentProblems({ 403: ['permission_escalation'], 404: ['key_not_found'], 409: ['key_revoked'], 422: ['too_many_allowed_ips', 'invalid_ip'] })
  @Put('allowed-ips')
  @RequirePermission('keys:manage')
  changeAllowedIps(@Param('keyId', keyIdPipe) keyId: string, @Body() body: ChangeAllowedIpsDto, @Caller() caller: AuthorizedKey): Promise<KeyDto> {
    return this.run(keyId, caller, { type: 'ChangeAllowedIps', data: { ...by(caller), allowedIps: body.allowedIps } });
  }

  @DocumentProblems({ 403: ['permission_escalation'], 404: ['key_not_found'], 409: ['key_revoked'], 422: ['too_many_allowed_origins', 'invalid_origin'] })
  @Put('allowed-origins')
  @RequirePermission('keys:manage')
  changeAllowedOrigins(@Param('keyId', keyIdPipe) keyId: string, @Body() body: ChangeAllowedOriginsDto, @Caller() caller: AuthorizedKey): Promise<KeyDto> {
    return this.run(keyId, caller, { type: 'ChangeAllowedOrigins', data: { ...by(caller), allowedOrigins: body.allowedOrigins } });
  }

  @DocumentProblems({ 403: ['permission_escalation'], 404: ['key_not_found'], 409: ['key_revoked'], 422: ['invalid_rate_limit', 'rate_limit_required'] })
  @Put('rate-limit')
  @RequirePermission('keys:manage')
  changeRateLimit(@Param('keyId', keyIdPipe) keyId: string, @Body() body: ChangeRateLimitDto, @Caller() caller: AuthorizedKey): Promise<KeyDto> {
    return this.run(keyId, caller, { type: 'ChangeRateLimit', data: { ...by(caller), rateLimit: body.rateLimit } });
  }

  @DocumentProblems({ 403: ['permission_escalation'], 404: ['key_not_found'], 422: ['invalid_reason'] })
  @Post('revoke')
  @HttpCode(200)
  @RequirePermission('keys:manage')
  revoke(@Param('keyId', keyIdPipe) keyId: string, @Body() body: ReasonDto, @Caller() caller: AuthorizedKey): Promise<KeyDto> {
    return this.run(keyId, caller, { type: 'RevokeKey', data: { ...by(caller), ...(body.reason !== undefined ? { reason: body.reason } : {}) } });
  }

  private async run(keyId: string, caller: AuthorizedKey, command: ApiKeyCommand): Promise<KeyDto> {
    return this.queries.dtoOf(await this.commands.execute(keyId, command, { accountId: caller.accountId }));
  }
}
