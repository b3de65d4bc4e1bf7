import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { JSONSchema } from 'class-validator-jsonschema';

/** A list's page size when the query gives no `limit`. */
export const DEFAULT_PAGE_SIZE = 20;

/** What every list query takes: `limit` (1-100, the service's default when absent) and the previous page's `nextCursor`. */
export class PageQueryDto {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  /**
   * Opaque base64url. The pattern is documented, not validated here: anything that does not
   * decode to a cursor answers 400 `invalid_cursor` where it is decoded.
   */
  @IsOptional()
  @IsString()
  @MaxLength(500)
  @JSONSchema({ pattern: '^[A-Za-z0-9_-]+$' })
  cursor?: string;
}
