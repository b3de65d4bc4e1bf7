import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsDefined, IsInt, IsOptional, IsString, MaxLength, ValidateIf, ValidateNested } from 'class-validator';
import { JSONSchema } from 'class-validator-jsonschema';

/** A key's rate limit: `requests` per `windowSeconds`, at most `burst` at once (default: `requests`). */
export class RateLimitDto {
  @IsInt()
  // Documented; checked by the domain (422 invalid_rate_limit).
  @JSONSchema({ minimum: 1, maximum: 1_000_000 })
  requests!: number;

  @IsInt()
  @JSONSchema({ minimum: 1, maximum: 86_400 })
  windowSeconds!: number;

  @IsOptional()
  @IsInt()
  @JSONSchema({ minimum: 1, maximum: 1_000_000 })
  burst?: number;
}

/** Shared by create and change: shapes only; the origin syntax is the domain's (422 invalid_origin). */
export const ALLOWED_ORIGINS_SCHEMA = {
  description: 'Web origins the key may be used from (exact, such as https://shop.example.com, or https://*.example.com); [] = no restriction and no browser use',
  maxItems: 100,
} as const;

export class ChangeAllowedOriginsDto {
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @MaxLength(300, { each: true })
  @JSONSchema(ALLOWED_ORIGINS_SCHEMA)
  allowedOrigins!: string[];
}

export class ChangeRateLimitDto {
  /** The new limit, or null for none (private keys only). */
  @ValidateIf((_dto: ChangeRateLimitDto, value: unknown) => value !== null)
  @IsDefined()
  @ValidateNested()
  @Type(() => RateLimitDto)
  @JSONSchema({ nullable: true, $ref: '#/components/schemas/RateLimitDto' })
  rateLimit!: RateLimitDto | null;
}
