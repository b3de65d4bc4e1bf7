import { Controller, Get, Param } from '@nestjs/common';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import { DocumentProblems } from '@keyward/service-runtime';
import { KeyQueries } from '../../application/key-queries';
import type { KeyDto } from '../../application/key-view.dto';
import { keyIdPipe } from '../../http/key-id.pipe';

@Controller('v1/keys')
export class GetKeyController {
  constructor(private readonly queries: KeyQueries) {}

  @DocumentProblems({ 404: ['key_not_found'] })
  @Get(':keyId')
  @RequirePermission('keys:read')
  get(@Param('keyId', keyIdPipe) keyId: string, @Caller() caller: AuthorizedKey): Promise<KeyDto> {
    return this.queries.get(caller.accountId, keyId);
  }
}
