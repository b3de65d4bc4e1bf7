import { IsOptional, IsString, MaxLength } from 'class-validator';
import { IsSafeText } from '@keyward/problem';
import { RESOLUTION_MAX_LENGTH } from '../../domain';

export class CloseTicketDto {
  @IsOptional()
  @IsString()
  @MaxLength(RESOLUTION_MAX_LENGTH)
  @IsSafeText({ multiline: true })
  resolution?: string;
}
