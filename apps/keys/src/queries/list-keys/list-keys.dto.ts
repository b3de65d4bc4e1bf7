import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import type { KeyKind, KeyStatus } from '@keyward/contracts';
import { KEY_KINDS } from '@keyward/contracts';

export const KEY_STATUSES: readonly KeyStatus[] = ['active', 'disabled', 'expired', 'revoked'];

export class ListKeysQueryDto {
  @IsOptional()
  @IsIn(KEY_KINDS)
  kind?: KeyKind;

  @IsOptional()
  @IsIn(KEY_STATUSES)
  status?: KeyStatus;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}
