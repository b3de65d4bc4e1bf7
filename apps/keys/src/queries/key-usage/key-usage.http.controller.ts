import { Controller, Get, Param, Query } from '@nestjs/common';
import type { SchemaObject } from '@nestjs/swagger';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import type { AuthorizedKey } from '@keyward/key-auth';
import { Caller, RequirePermission } from '@keyward/key-auth';
import { DocumentProblems } from '@keyward/service-runtime';
import { KeyUsageQueries } from '../../usage/key-usage.queries';
import type { KeyUsage } from '../../usage/usage-query';
import { keyIdPipe } from '../../http/key-id.pipe';
import { KeyUsageQueryDto } from './key-usage.dto';

const USAGE_DESCRIPTION = 'Counts of the requests made with this key, by operation (route id, `GET /v1/technicians`) and ' +
  'outcome (`ok`, or the problem code the caller was answered: `key_disabled`, `permission_denied`, `rate_limited`, ...), ' +
  'per minute, hour or day (UTC). Each request is counted once, where its authorization was final (the edge for what it ' +
  'refuses, the service otherwise). Counts arrive within USAGE_FLUSH_INTERVAL_MS (10 s by default); a crashed process loses ' +
  'at most one interval of its counts. The key view shows the last use as `lastUsedAt`, `lastUsedOperation`, `lastUsedAddress`.';

const COUNTS: SchemaObject = {
  type: 'array',
  items: {
    type: 'object', required: ['operation', 'outcome', 'count'],
    properties: { operation: { type: 'string', example: 'GET /v1/technicians' }, outcome: { type: 'string', example: 'ok' }, count: { type: 'integer', minimum: 1 } },
  },
};

const USAGE_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['keyId', 'granularity', 'from', 'to', 'total', 'totals', 'buckets'],
  properties: {
    keyId: { type: 'string' },
    granularity: { type: 'string', enum: ['minute', 'hour', 'day'] },
    from: { type: 'string', format: 'date-time', description: 'Start of the range (inclusive), rounded down to the granularity' },
    to: { type: 'string', format: 'date-time', description: 'End of the range (exclusive), rounded up to the granularity' },
    total: { type: 'integer', minimum: 0 },
    totals: COUNTS,
    buckets: {
      type: 'array', description: 'Periods with any count, oldest first',
      items: { type: 'object', required: ['start', 'counts'], properties: { start: { type: 'string', format: 'date-time' }, counts: COUNTS } },
    },
  },
};

@Controller('v1/keys')
export class KeyUsageController {
  constructor(private readonly usage: KeyUsageQueries) {}

  /**
   * How often the key was used, by operation and outcome (`ok` or the problem code answered), per
   * minute, hour or day. Counts arrive within USAGE_FLUSH_INTERVAL_MS (10 s) plus a moment (docs/usage.md).
   */
  @ApiOperation({ description: USAGE_DESCRIPTION })
  @ApiOkResponse({ description: 'The usage of the key over the range', schema: USAGE_SCHEMA })
  @DocumentProblems({ 400: ['invalid_usage_range', 'usage_range_too_long'], 404: ['key_not_found'] })
  @Get(':keyId/usage')
  @RequirePermission('keys:read')
  get(@Param('keyId', keyIdPipe) keyId: string, @Query() query: KeyUsageQueryDto, @Caller() caller: AuthorizedKey): Promise<KeyUsage> {
    return this.usage.usage(caller.accountId, keyId, query);
  }
}
