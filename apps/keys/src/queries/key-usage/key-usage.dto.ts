import { IsIn, IsISO8601, IsOptional, IsString, Matches } from 'class-validator';
import { JSONSchema } from 'class-validator-jsonschema';
import type { UsageGranularity } from '../../usage/usage-query';
import { USAGE_GRANULARITIES } from '../../usage/usage-query';

/** An instant with a date, a time and a zone: `2026-03-01T09:00:00Z`, `2026-03-01T10:00:00.5+01:00`. */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const INSTANT_MESSAGE = '$property must be an ISO-8601 instant with a zone, such as 2026-03-01T09:00:00Z';

/**
 * GET /v1/keys/{id}/usage. `from` is rounded down and `to` up to the granularity (UTC); at most
 * 24 hours of minutes, 31 days of hours or 92 days of days at once (400 `usage_range_too_long`).
 */
export class KeyUsageQueryDto {
  /** Start of the range (inclusive); default: one hour, one day or 30 days before `to`, by granularity. */
  @IsOptional()
  @IsString()
  @Matches(INSTANT, { message: INSTANT_MESSAGE })
  @IsISO8601({ strict: true, strictSeparator: true }, { message: '$property is not a real date and time' })
  @JSONSchema({ format: 'date-time', description: 'Start of the range (inclusive), rounded down to the granularity; default: 1 hour (minute), 1 day (hour) or 30 days (day) before `to`' })
  from?: string;

  /** End of the range (exclusive); default: now. */
  @IsOptional()
  @IsString()
  @Matches(INSTANT, { message: INSTANT_MESSAGE })
  @IsISO8601({ strict: true, strictSeparator: true }, { message: '$property is not a real date and time' })
  @JSONSchema({ format: 'date-time', description: 'End of the range (exclusive), rounded up to the granularity; default: now' })
  to?: string;

  @IsOptional()
  @IsIn(USAGE_GRANULARITIES)
  @JSONSchema({ description: 'Bucket size (UTC): minute (range at most 24 h), hour (default; at most 31 days) or day (at most 92 days)' })
  granularity?: UsageGranularity;
}
