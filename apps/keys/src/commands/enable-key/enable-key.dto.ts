import { IsOptional, IsString, MaxLength } from 'class-validator';
import { JSONSchema } from 'class-validator-jsonschema';

export class EnableKeyDto {
  /** Required when the key's expiry has passed; at most one year from now. */
  @IsOptional()
  @IsString()
  @MaxLength(40)
  @JSONSchema({ format: 'date-time' })
  expiresAt?: string;
}
