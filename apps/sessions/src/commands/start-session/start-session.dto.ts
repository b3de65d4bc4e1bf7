import { IsString } from 'class-validator';
import { IsEntityId } from '@keyward/service-runtime';

export class StartSessionDto {
  @IsString()
  @IsEntityId('tech')
  technicianId!: string;
}
