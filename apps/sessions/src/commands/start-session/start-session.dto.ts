import { IsEntityId } from '@keyward/service-runtime';

export class StartSessionDto {
  @IsEntityId('tech')
  technicianId!: string;
}
