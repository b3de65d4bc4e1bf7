import { IsOptional } from 'class-validator';
import { IsEntityId } from '@keyward/service-runtime';

/** Both optional: a session for a device, for a ticket, for both, or an ad-hoc one joined by code alone. */
export class CreateSessionDto {
  @IsOptional()
  @IsEntityId('dev')
  deviceId?: string;

  @IsOptional()
  @IsEntityId('tkt')
  ticketId?: string;
}
