import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

/** GET /admin/dead-letters: one projection's (or every projection's) letters, oldest first, a page at a time. */
export class DeadLettersQueryDto {
  @IsOptional()
  @IsString()
  @Matches(/^[a-z][a-z0-9-]{0,62}$/)
  projection?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  /** The previous page's `nextCursor`. */
  @IsOptional()
  @IsString()
  @MaxLength(500)
  cursor?: string;
}
