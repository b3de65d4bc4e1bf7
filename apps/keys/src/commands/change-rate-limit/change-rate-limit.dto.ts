import { Type } from 'class-transformer';
import { IsObject, ValidateIf, ValidateNested } from 'class-validator';
import { JSONSchema } from 'class-validator-jsonschema';
import { nullableRateLimitSchema, RateLimitDto } from '../../http/browser-limits.dto';

// Required but nullable: ValidateIf lets null through (no limit) and IsObject refuses absence.
@JSONSchema({ required: ['rateLimit'] })
export class ChangeRateLimitDto {
  /** The new limit, or null for none (private keys only). */
  @ValidateIf((_dto: ChangeRateLimitDto, value: unknown) => value !== null)
  @IsObject()
  @ValidateNested()
  @Type(() => RateLimitDto)
  @JSONSchema(nullableRateLimitSchema)
  rateLimit!: RateLimitDto | null;
}
