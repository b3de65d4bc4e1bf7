import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { MAX_WAIT_MS } from '@keyward/projections';

/** GET /admin/projections/{name}/applied/{aggregateId}: which version to look for, and how long to wait for it. */
export class AppliedQueryDto {
  /** The version asked about (default 1: any). */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  version?: number;

  /** Wait up to this long for it (a long poll; default 0: answer at once). */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_WAIT_MS)
  waitMs?: number;
}
