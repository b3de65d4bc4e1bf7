import { Controller, Get, Query } from '@nestjs/common';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import type { KeyPage } from '../../application/key-queries';
import { KeyQueries } from '../../application/key-queries';
import { ListKeysQueryDto } from './list-keys.dto';

@Controller('v1/keys')
export class ListKeysController {
  constructor(private readonly queries: KeyQueries) {}

  /** The caller's account's keys, newest first, `limit` (1-100, default 20) a page. */
  @Get()
  @RequirePermission('keys:read')
  list(@Query() query: ListKeysQueryDto, @Caller() caller: AuthorizedKey): Promise<KeyPage> {
    return this.queries.list(caller.accountId, query);
  }
}
