import { ArrayMaxSize, IsArray, IsInt, IsOptional, IsString, MaxLength, ValidateIf } from 'class-validator';
import { IsSafeText } from '@keyward/problem';

export class ReasonDto {
  // Not @IsOptional, which lets null through to the domain as if it were a string (a 500): null is refused.
  @ValidateIf((_dto: ReasonDto, value: unknown) => value !== undefined)
  @IsString()
  @MaxLength(1000)
  @IsSafeText({ multiline: true })
  reason?: string;
}

export class EnableKeyDto {
  /** Required when the key's expiry has passed; at most one year from now. */
  @IsOptional()
  @IsString()
  @MaxLength(40)
  expiresAt?: string;
}

export class ChangeExpiryDto {
  @IsString()
  @MaxLength(40)
  expiresAt!: string;
}

export class ChangePermissionsDto {
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  permissions!: string[];
}

export class ChangeAllowedIpsDto {
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  allowedIps!: string[];
}

export class RotateKeyDto {
  /** How long the replaced secret keeps working: 0 to 604800 seconds (7 days); default 0. */
  @IsOptional()
  @IsInt()
  gracePeriodSeconds?: number;
}
