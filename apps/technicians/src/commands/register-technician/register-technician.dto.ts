import { IsEmail, IsString, MaxLength } from 'class-validator';
import { IsSafeText } from '@keyward/problem';
import { EMAIL_MAX_LENGTH, NAME_MAX_LENGTH } from '../../domain';

/** Shapes only; trimming, emptiness and uniqueness are the domain's. */
export class RegisterTechnicianDto {
  @IsString()
  @MaxLength(NAME_MAX_LENGTH)
  @IsSafeText()
  name!: string;

  @IsEmail()
  @MaxLength(EMAIL_MAX_LENGTH)
  email!: string;
}
