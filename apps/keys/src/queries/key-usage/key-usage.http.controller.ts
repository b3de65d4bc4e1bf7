import { Controller, Get, Param, Query } from '@nestjs/common';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import { DocumentProblems } from '@keyward/service-runtime';
import { KeyUsageQueries } from '../../usage/key-usage.queries';
import type { KeyUsage } from '../../usage/usage-query';
import { keyIdPipe } from '../../http/key-id.pipe';
import { KeyUsageQueryDto } from './key-usage.dto';

@Controller('v1/keys')
export class KeyUsageController {
  constructor(private readonly usage: KeyUsageQueries) {}

  /**
   * How often the key was used, by operation and outcome (`ok` or the problem code answered), per
   * minute, hour or day. Counts arrive within USAGE_FLUSH_INTERVAL_MS (10 s) plus a moment (docs/usage.md).
   */
  @DocumentProblems({ 400: ['invalid_usage_range', 'usage_range_too_long'], 404: ['key_not_found'] })
  @Get(':keyId/usage')
  @RequirePermission('keys:read')
  get(@Param('keyId', keyIdPipe) keyId: string, @Query() query: KeyUsageQueryDto, @Caller() caller: AuthorizedKey): Promise<KeyUsage> {
    return this.usage.usage(caller.accountId, keyId, query);
  }
}
