import { IsOptional, IsString, Matches } from 'class-validator';
import { DEVICE_ID_PATTERN, TICKET_ID_PATTERN } from '../../domain';

/** Both optional: a session for a device, for a ticket, for both, or an ad-hoc one joined by code alone. */
export class CreateSessionDto {
  @IsOptional()
  @IsString()
  @Matches(DEVICE_ID_PATTERN, { message: 'deviceId must look like dev_ followed by 4 to 64 letters, digits or underscores' })
  deviceId?: string;

  @IsOptional()
  @IsString()
  @Matches(TICKET_ID_PATTERN, { message: 'ticketId must look like tkt_ followed by 4 to 64 letters, digits or underscores' })
  ticketId?: string;
}
