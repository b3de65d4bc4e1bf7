import { IsString, MaxLength, ValidateIf } from 'class-validator';
import { IsSafeText } from '@keyward/problem';
import { REASON_MAX_LENGTH } from '../../domain';

export class DeactivateTechnicianDto {
  // Not @IsOptional, which would let null through as if it were a string.
  @ValidateIf((_dto: DeactivateTechnicianDto, value: unknown) => value !== undefined)
  @IsString()
  @MaxLength(REASON_MAX_LENGTH)
  @IsSafeText({ multiline: true })
  reason?: string;
}
