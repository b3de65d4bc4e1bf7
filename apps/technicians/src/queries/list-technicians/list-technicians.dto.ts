import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import type { TechnicianStatus } from '../../domain';
import { TECHNICIAN_STATUSES } from '../../domain';

export class ListTechniciansQueryDto {
  @IsOptional()
  @IsIn(TECHNICIAN_STATUSES)
  status?: TechnicianStatus;

  /** A case-insensitive substring of the name or the email. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @IsOptional()
  @IsString()
  @MaxLength(500)
  cursor?: string;
}
