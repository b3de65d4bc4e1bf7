import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { IsSafeText } from '@keyward/problem';
import type { KeyKind } from '@keyward/contracts';
import { KEY_KINDS } from '@keyward/contracts';
import { JSONSchema } from 'class-validator-jsonschema';
import { ALLOWED_ORIGINS_SCHEMA, nullableRateLimitSchema, RateLimitDto } from '../../http/browser-limits.dto';
import { IsPermissionList } from '../../http/permissions.dto';

/** Shapes only; the key rules (catalog, public-safe, IP syntax, expiry window) are the domain's. */
export class CreateKeyDto {
  @IsIn(KEY_KINDS)
  kind!: KeyKind;

  @IsString()
  @MaxLength(200)
  @IsSafeText()
  name!: string;

  @IsPermissionList()
  permissions!: string[];

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  allowedIps?: string[];

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @MaxLength(300, { each: true })
  @JSONSchema(ALLOWED_ORIGINS_SCHEMA)
  allowedOrigins?: string[];

  /** Absent: the kind's default (public: 300 per 60 s, burst 60; private: none); null: none (private keys only). */
  @IsOptional()
  @ValidateNested()
  @Type(() => RateLimitDto)
  @JSONSchema(nullableRateLimitSchema)
  rateLimit?: RateLimitDto | null;

  /** ISO-8601 instant with a zone; default one year from now, at most one year from now. */
  @IsOptional()
  @IsString()
  @MaxLength(40)
  @JSONSchema({ format: 'date-time' })
  expiresAt?: string;
}
