import { IsEmail, IsString, MaxLength, ValidateIf } from 'class-validator';
import { IsSafeText } from '@keyward/problem';
import { EMAIL_MAX_LENGTH, NAME_MAX_LENGTH } from '../../domain';

/**
 * Each field optional, but not nullable: `@IsOptional` would let null through as if it were a
 * value. At least one field is the domain's rule (422 `nothing_to_update`).
 */
export class UpdateTechnicianDto {
  @ValidateIf((_dto: UpdateTechnicianDto, value: unknown) => value !== undefined)
  @IsString()
  @MaxLength(NAME_MAX_LENGTH)
  @IsSafeText()
  name?: string;

  @ValidateIf((_dto: UpdateTechnicianDto, value: unknown) => value !== undefined)
  @IsEmail()
  @MaxLength(EMAIL_MAX_LENGTH)
  email?: string;
}
