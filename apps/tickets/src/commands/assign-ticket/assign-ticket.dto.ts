import { IsEntityId } from '@keyward/service-runtime';

export class AssignTicketDto {
  @IsEntityId('tech')
  technicianId!: string;
}
