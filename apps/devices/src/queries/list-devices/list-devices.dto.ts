import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import type { DeviceOs } from '../../domain';
import { DEVICE_OS_VALUES, TAG_MAX_LENGTH, TECHNICIAN_ID_PATTERN } from '../../domain';
import { PageQueryDto } from '@keyward/service-runtime';

/** Only the words `true` and `false`; anything else stays as sent and fails @IsBoolean. */
const toBoolean = ({ value }: { value: unknown }): unknown => (value === 'true' ? true : value === 'false' ? false : value);

export class ListDevicesQueryDto extends PageQueryDto {
  @IsOptional()
  @IsIn(DEVICE_OS_VALUES)
  os?: DeviceOs;

  @IsOptional()
  @IsString()
  @MaxLength(TAG_MAX_LENGTH)
  tag?: string;

  @IsOptional()
  @IsString()
  @Matches(TECHNICIAN_ID_PATTERN, { message: 'ownerTechnicianId must be a technician id (tech_…)' })
  ownerTechnicianId?: string;

  /** A case-insensitive substring of the name or the hostname. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;

  /** `true` lists removed devices too; default `false`. */
  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  includeRemoved?: boolean;
}
