import { ArrayMaxSize, IsArray, IsString, MaxLength, ValidateIf } from 'class-validator';
import { JSONSchema } from 'class-validator-jsonschema';
import { IsSafeText } from '@keyward/problem';
import { NAME_MAX_LENGTH } from '../../domain';

/**
 * Shapes and generous bounds only; the device rules (the OS set, RFC 1123 host names, tag syntax
 * and count, the owner's id shape) are the domain's and answer 422 with their own codes.
 * Optional fields are not nullable, except the owner, where null means none.
 */
export class RegisterDeviceDto {
  @IsString()
  @MaxLength(NAME_MAX_LENGTH)
  @IsSafeText()
  name!: string;

  /** One of windows, macos, linux, ios, android, chromeos, other. */
  @IsString()
  @MaxLength(40)
  @IsSafeText()
  os!: string;

  @IsString()
  @MaxLength(300)
  @IsSafeText()
  hostname!: string;

  /** At most 20 once de-duplicated, each 1-40 of a-z 0-9 - _ : . (compared in lower case). */
  @ValidateIf((_dto: RegisterDeviceDto, value: unknown) => value !== undefined)
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  @IsSafeText({}, { each: true })
  tags?: string[];

  /** `tech_…` of an active technician of the account, or null for none. */
  @ValidateIf((_dto: RegisterDeviceDto, value: unknown) => value !== undefined && value !== null)
  @IsString()
  @MaxLength(100)
  @JSONSchema({ nullable: true })
  ownerTechnicianId?: string | null;
}
