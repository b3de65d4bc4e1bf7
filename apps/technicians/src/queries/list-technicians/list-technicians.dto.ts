import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import type { TechnicianStatus } from '../../domain';
import { TECHNICIAN_STATUSES } from '../../domain';
import { PageQueryDto } from '@keyward/service-runtime';

export class ListTechniciansQueryDto extends PageQueryDto {
  @IsOptional()
  @IsIn(TECHNICIAN_STATUSES)
  status?: TechnicianStatus;

  /** A case-insensitive substring of the name or the email. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;
}
