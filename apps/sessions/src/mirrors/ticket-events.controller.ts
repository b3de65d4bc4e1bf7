import { Controller } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import type { TicketEventEnvelope, TicketEventType } from '@keyward/contracts';
import type { MirrorApplyResult } from '@keyward/projections';
import { EntityMirror } from '@keyward/projections';
import type { TicketMirrorView } from './ticket.mirror';

/** How sessions follows the tickets a session may be opened from: every tickets.events event, into its tickets mirror. */
@Controller()
export class TicketEventsController {
  @EventPattern(['TicketCreated', 'TicketAssigned', 'TicketInProgress', 'TicketClosed'] satisfies TicketEventType[])
  ticketChanged(event: TicketEventEnvelope, tickets: EntityMirror<TicketMirrorView>): MirrorApplyResult {
    return tickets.apply(event);
  }
}
