import { ArrayMaxSize, IsArray, IsString, MaxLength } from 'class-validator';
import { JSONSchema } from 'class-validator-jsonschema';
import { ALLOWED_ORIGINS_SCHEMA } from '../../http/browser-limits.dto';

export class ChangeAllowedOriginsDto {
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @MaxLength(300, { each: true })
  @JSONSchema(ALLOWED_ORIGINS_SCHEMA)
  allowedOrigins!: string[];
}
