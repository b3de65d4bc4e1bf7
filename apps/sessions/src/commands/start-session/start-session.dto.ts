import { IsString, Matches } from 'class-validator';
import { TECHNICIAN_ID_PATTERN } from '../../domain';

export class StartSessionDto {
  @IsString()
  @Matches(TECHNICIAN_ID_PATTERN, { message: 'technicianId must look like tech_ followed by 4 to 64 letters, digits or underscores' })
  technicianId!: string;
}
