import type { DynamicModule } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { SERVICES, TICKET_EVENTS } from '@keyward/contracts';
import { devicesMirror, entityMirror, mirrorsModule, techniciansMirror } from '@keyward/projections';
import { TICKETS_MIRROR } from '../application/session.aggregate';
import type { TicketMirrorView } from './ticket.mirror';
import { evolveTicketMirror } from './ticket.mirror';
import { TicketEventsController } from './ticket-events.controller';

/** Other services' entities a session refers to: technicians, devices and tickets, from their topics. */
@Module({})
export class SessionsMirrorsModule {
  static forRoot(): DynamicModule {
    return mirrorsModule(SessionsMirrorsModule, [
      techniciansMirror(),
      devicesMirror(),
      entityMirror<TicketMirrorView>({
        token: TICKETS_MIRROR, name: 'tickets', topic: SERVICES.tickets.topic, events: TICKET_EVENTS,
        evolve: evolveTicketMirror, controller: TicketEventsController,
      }),
    ]);
  }
}
