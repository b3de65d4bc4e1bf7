import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsSafeText } from '@keyward/problem';
import type { KeyKind } from '@keyward/contracts';
import { ALL_PERMISSIONS, KEY_KINDS } from '@keyward/contracts';
import { JSONSchema } from 'class-validator-jsonschema';

/** Shapes only; the key rules (catalog, public-safe, IP syntax, expiry window) are the domain's. */
export class CreateKeyDto {
  @IsIn(KEY_KINDS)
  kind!: KeyKind;

  @IsString()
  @MaxLength(200)
  @IsSafeText()
  name!: string;

  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  // Documented as the catalog; checked by the domain (422 unknown_permission).
  @JSONSchema({ items: { enum: [...ALL_PERMISSIONS] } })
  permissions!: string[];

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  allowedIps?: string[];

  /** ISO-8601 instant with a zone; default one year from now, at most one year from now. */
  @IsOptional()
  @IsString()
  @MaxLength(40)
  @JSONSchema({ format: 'date-time' })
  expiresAt?: string;
}
