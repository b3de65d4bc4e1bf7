import { IsIn, IsOptional } from 'class-validator';
import type { KeyKind, KeyStatus } from '@keyward/contracts';
import { KEY_KINDS } from '@keyward/contracts';
import { PageQueryDto } from '@keyward/service-runtime';

export const KEY_STATUSES: readonly KeyStatus[] = ['active', 'disabled', 'expired', 'revoked'];

export class ListKeysQueryDto extends PageQueryDto {
  @IsOptional()
  @IsIn(KEY_KINDS)
  kind?: KeyKind;

  @IsOptional()
  @IsIn(KEY_STATUSES)
  status?: KeyStatus;
}
