import { ArrayMaxSize, IsArray, IsString, MaxLength, ValidateIf } from 'class-validator';
import { JSONSchema } from 'class-validator-jsonschema';
import { IsSafeText } from '@keyward/problem';
import { NAME_MAX_LENGTH } from '../../domain';

const given = (_dto: UpdateDeviceDto, value: unknown): boolean => value !== undefined;

/**
 * Every field optional and, but for the owner, not nullable (`@IsOptional` would let null through
 * as a value). `tags` replaces the whole set; `ownerTechnicianId: null` clears the owner. At least
 * one field is the domain's rule (422 `nothing_to_update`).
 */
export class UpdateDeviceDto {
  @ValidateIf(given)
  @IsString()
  @MaxLength(NAME_MAX_LENGTH)
  @IsSafeText()
  name?: string;

  @ValidateIf(given)
  @IsString()
  @MaxLength(40)
  @IsSafeText()
  os?: string;

  @ValidateIf(given)
  @IsString()
  @MaxLength(300)
  @IsSafeText()
  hostname?: string;

  @ValidateIf(given)
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  @IsSafeText({}, { each: true })
  tags?: string[];

  @ValidateIf((_dto: UpdateDeviceDto, value: unknown) => value !== undefined && value !== null)
  @IsString()
  @MaxLength(100)
  @JSONSchema({ nullable: true })
  ownerTechnicianId?: string | null;
}
