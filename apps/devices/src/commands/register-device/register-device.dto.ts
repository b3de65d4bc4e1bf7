import { ArrayMaxSize, IsArray, IsString, MaxLength, ValidateIf } from 'class-validator';
import { NAME_MAX_LENGTH } from '../../domain';

/**
 * Shapes and generous bounds only; the device rules (the OS set, RFC 1123 host names, tag syntax
 * and count, the owner's id shape) are the domain's and answer 422 with their own codes.
 * Optional fields are not nullable, except the owner, where null means none.
 */
export class RegisterDeviceDto {
  @IsString()
  @MaxLength(NAME_MAX_LENGTH)
  name!: string;

  /** One of windows, macos, linux, ios, android, chromeos, other. */
  @IsString()
  @MaxLength(40)
  os!: string;

  @IsString()
  @MaxLength(300)
  hostname!: string;

  /** At most 20 once de-duplicated, each 1-40 of a-z 0-9 - _ : . (compared in lower case). */
  @ValidateIf((_dto: RegisterDeviceDto, value: unknown) => value !== undefined)
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  tags?: string[];

  /** `tech_…`, or null for none; not checked for existence. */
  @ValidateIf((_dto: RegisterDeviceDto, value: unknown) => value !== undefined && value !== null)
  @IsString()
  @MaxLength(100)
  ownerTechnicianId?: string | null;
}
