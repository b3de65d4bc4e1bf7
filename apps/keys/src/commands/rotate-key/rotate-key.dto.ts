import { IsInt, IsOptional } from 'class-validator';
import { JSONSchema } from 'class-validator-jsonschema';

export class RotateKeyDto {
  /** How long the replaced secret keeps working: 0 to 604800 seconds (7 days); default 0. */
  @IsOptional()
  @IsInt()
  // Documented; checked by the domain (422 grace_period_out_of_range).
  @JSONSchema({ minimum: 0, maximum: 604_800 })
  gracePeriodSeconds?: number;
}
