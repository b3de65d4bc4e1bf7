import { IsEmail, IsString, MaxLength } from 'class-validator';
import { EMAIL_MAX_LENGTH, NAME_MAX_LENGTH } from '../../domain';

/** Shapes only; trimming, emptiness and uniqueness are the domain's. */
export class RegisterTechnicianDto {
  @IsString()
  @MaxLength(NAME_MAX_LENGTH)
  name!: string;

  @IsEmail()
  @MaxLength(EMAIL_MAX_LENGTH)
  email!: string;
}
