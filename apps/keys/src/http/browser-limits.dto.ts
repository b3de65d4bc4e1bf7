import { IsInt, IsOptional } from 'class-validator';
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

/** Shared by create and change-allowed-origins: shapes only; the origin syntax is the domain's (422 invalid_origin). */
export const ALLOWED_ORIGINS_SCHEMA = {
  description: 'Web origins the key may be used from (exact, such as https://shop.example.com, or https://*.example.com); [] = no restriction and no browser use',
  maxItems: 100,
} as const;

/**
 * The schema of a nullable RateLimitDto, replacing what the converters made of @ValidateNested
 * (a reference to `Object`). OpenAPI 3.0 ignores siblings of `$ref`: a nullable reference is an allOf of one.
 */
export const nullableRateLimitSchema: Parameters<typeof JSONSchema>[0] = () => ({ allOf: [{ $ref: '#/components/schemas/RateLimitDto' }], nullable: true });
