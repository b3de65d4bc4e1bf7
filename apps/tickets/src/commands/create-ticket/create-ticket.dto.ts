import { IsEmail, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsSafeText } from '@keyward/problem';
import {
  CONTACT_MAX_LENGTH,
  PROBLEM_DESCRIPTION_MAX_LENGTH,
  REQUESTER_EMAIL_MAX_LENGTH,
  REQUESTER_NAME_MAX_LENGTH,
} from '../../domain';
import { IsEntityId } from '@keyward/service-runtime';

export class CreateTicketDto {
  @IsString()
  @MaxLength(REQUESTER_NAME_MAX_LENGTH)
  @IsSafeText()
  requesterName!: string;

  @IsEmail()
  @MaxLength(REQUESTER_EMAIL_MAX_LENGTH)
  requesterEmail!: string;

  /** A phone number or any other way to reach the requester; free text. */
  @IsOptional()
  @IsString()
  @MaxLength(CONTACT_MAX_LENGTH)
  @IsSafeText()
  contact?: string;

  @IsString()
  @MaxLength(PROBLEM_DESCRIPTION_MAX_LENGTH)
  @IsSafeText({ multiline: true })
  problemDescription!: string;

  /**
   * The device the problem is on: a device of the caller's account that the tickets service knows
   * (from devices.events) and that is not removed; otherwise 422 `unknown_device` / `device_removed`.
   */
  @IsOptional()
  @IsEntityId('dev')
  deviceId?: string;
}
