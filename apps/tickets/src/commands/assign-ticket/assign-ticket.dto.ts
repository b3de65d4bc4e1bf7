import { IsString } from 'class-validator';
import { IsEntityId } from '@keyward/service-runtime';

export class AssignTicketDto {
  @IsString()
  @IsEntityId('tech')
  technicianId!: string;
}
