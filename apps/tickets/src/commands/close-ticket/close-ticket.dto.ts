import { IsOptional, IsString, MaxLength } from 'class-validator';
import { RESOLUTION_MAX_LENGTH } from '../../domain';

export class CloseTicketDto {
  @IsOptional()
  @IsString()
  @MaxLength(RESOLUTION_MAX_LENGTH)
  resolution?: string;
}
