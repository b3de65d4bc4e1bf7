import { IsString, MaxLength } from 'class-validator';
import { JSONSchema } from 'class-validator-jsonschema';

export class ChangeExpiryDto {
  @IsString()
  @MaxLength(40)
  @JSONSchema({ format: 'date-time' })
  expiresAt!: string;
}
