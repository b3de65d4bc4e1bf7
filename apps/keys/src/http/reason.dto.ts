import { IsString, MaxLength, ValidateIf } from 'class-validator';
import { IsSafeText } from '@keyward/problem';

/** Shared by disable and revoke (one schema, `ReasonDto`, in the API document). */
export class ReasonDto {
  // Not @IsOptional, which lets null through to the domain as if it were a string (a 500): null is refused.
  @ValidateIf((_dto: ReasonDto, value: unknown) => value !== undefined)
  @IsString()
  @MaxLength(1000)
  @IsSafeText({ multiline: true })
  reason?: string;
}
