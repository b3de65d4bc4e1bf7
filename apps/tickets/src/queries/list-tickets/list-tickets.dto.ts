import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import type { TicketStatus } from '@keyward/contracts';
import { TICKET_REFERENCE_PATTERN } from '../../domain';
import { IsEntityId, PageQueryDto } from '@keyward/service-runtime';

export const TICKET_STATUSES: readonly TicketStatus[] = ['open', 'assigned', 'in_progress', 'closed'];

export class ListTicketsQueryDto extends PageQueryDto {
  @IsOptional()
  @IsIn(TICKET_STATUSES)
  status?: TicketStatus;

  @IsOptional()
  @IsEntityId('tech')
  technicianId?: string;

  /** The short reference the requester was given (`TKT-7K3Q9P`). */
  @IsOptional()
  @IsString()
  @Matches(TICKET_REFERENCE_PATTERN, { message: 'reference must look like TKT-7K3Q9P' })
  reference?: string;
}
