import { Body, Controller, Param, Put } from '@nestjs/common';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import { DocumentProblems } from '@keyward/service-runtime';
import { KeyCommands } from '../../application/key-commands.service';
import type { KeyDto } from '../../application/key-view.dto';
import { keyIdPipe } from '../../http/key-id.pipe';
import { ChangePermissionsDto } from './change-permissions.dto';

@Controller('v1/keys')
export class ChangePermissionsController {
  constructor(private readonly commands: KeyCommands) {}

  /** Replaces the key's permissions (never beyond the calling key's own); answers the key as it now is. */
  @DocumentProblems({ 403: ['permission_escalation'], 404: ['key_not_found'], 409: ['key_revoked'], 422: ['permissions_required', 'unknown_permission', 'permission_not_public_safe'] })
  @Put(':keyId/permissions')
  @RequirePermission('keys:manage')
  changePermissions(@Param('keyId', keyIdPipe) keyId: string, @Body() body: ChangePermissionsDto, @Caller() caller: AuthorizedKey): Promise<KeyDto> {
    return this.commands.changePermissions(caller, keyId, { permissions: body.permissions });
  }
}
