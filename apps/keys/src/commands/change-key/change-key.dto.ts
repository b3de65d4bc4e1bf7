import { ArrayMaxSize, IsArray, IsOptional, IsString, MaxLength, ValidateIf } from 'class-validator';
import { JSONSchema } from 'class-validator-jsonschema';
import { ALL_PERMISSIONS } from '@keyward/contracts';
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
  @JSONSchema({ format: 'date-time' })
  expiresAt?: string;
}

export class ChangeExpiryDto {
  @IsString()
  @MaxLength(40)
  @JSONSchema({ format: 'date-time' })
  expiresAt!: string;
}

export class ChangePermissionsDto {
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  // Documented as the catalog; checked by the domain (422 unknown_permission).
  @JSONSchema({ items: { enum: [...ALL_PERMISSIONS] } })
  permissions!: string[];
}

export class ChangeAllowedIpsDto {
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  allowedIps!: string[];
}
