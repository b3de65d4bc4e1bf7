import { IsOptional, IsString } from 'class-validator';
import { IsEntityId } from '@keyward/service-runtime';

/** Both optional: a session for a device, for a ticket, for both, or an ad-hoc one joined by code alone. */
export class CreateSessionDto {
  @IsOptional()
  @IsString()
  @IsEntityId('dev')
  deviceId?: string;

  @IsOptional()
  @IsString()
  @IsEntityId('tkt')
  ticketId?: string;
}
