import { Controller, Get, Param } from '@nestjs/common';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import { DocumentProblems } from '@keyward/service-runtime';
import type { KeyHistoryEntry } from '../../application/key-queries';
import { KeyQueries } from '../../application/key-queries';
import { keyIdPipe } from '../../http/key-id.pipe';

@Controller('v1/keys')
export class KeyHistoryController {
  constructor(private readonly queries: KeyQueries) {}

  /** Every event of one key, oldest first, for audit; hashes of secrets are left out. */
  @DocumentProblems({ 404: ['key_not_found'] })
  @Get(':keyId/events')
  @RequirePermission('keys:read')
  async history(@Param('keyId', keyIdPipe) keyId: string, @Caller() caller: AuthorizedKey): Promise<{ items: KeyHistoryEntry[] }> {
    return { items: await this.queries.history(caller.accountId, keyId) };
  }
}
