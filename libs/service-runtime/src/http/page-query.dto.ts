import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

/** What every list query takes: `limit` (1-100, the service's default when absent) and the previous page's `nextCursor`. */
export class PageQueryDto {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  /** Opaque, base64url: a cursor in another alphabet is refused before it is decoded. */
  @IsOptional()
  @IsString()
  @MaxLength(500)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'cursor must be a nextCursor value from an earlier page' })
  cursor?: string;
}
