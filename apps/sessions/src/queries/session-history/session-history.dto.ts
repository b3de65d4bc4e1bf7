import { IsISO8601, IsOptional, IsString, Matches } from 'class-validator';
import { JSONSchema } from 'class-validator-jsonschema';
import { IsEntityId, PageQueryDto } from '@keyward/service-runtime';

/** An instant with a date, a time and a zone: `2026-03-01T09:00:00Z`, `2026-03-01T10:00:00.5+01:00`. */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const INSTANT_MESSAGE = '$property must be an ISO-8601 instant with a zone, such as 2026-03-01T09:00:00Z';

export class SessionHistoryQueryDto extends PageQueryDto {
  @IsOptional()
  @IsEntityId('dev')
  deviceId?: string;

  @IsOptional()
  @IsEntityId('tech')
  technicianId?: string;

  /** Sessions created at or after this instant. */
  @IsOptional()
  @IsString()
  @Matches(INSTANT, { message: INSTANT_MESSAGE })
  @IsISO8601({ strict: true, strictSeparator: true }, { message: '$property is not a real date and time' })
  @JSONSchema({ format: 'date-time' })
  from?: string;

  /** Sessions created at or before this instant. */
  @IsOptional()
  @IsString()
  @Matches(INSTANT, { message: INSTANT_MESSAGE })
  @IsISO8601({ strict: true, strictSeparator: true }, { message: '$property is not a real date and time' })
  @JSONSchema({ format: 'date-time' })
  to?: string;
}
