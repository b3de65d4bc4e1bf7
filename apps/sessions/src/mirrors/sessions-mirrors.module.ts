import type { DynamicModule } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { SERVICES, TICKET_EVENTS } from '@keyward/contracts';
import { devicesMirror, EntityMirror, indexedProjectionProvider, mirrorsModule, techniciansMirror } from '@keyward/projections';
import { DEVICES_MIRROR, TECHNICIANS_MIRROR, TICKETS_MIRROR } from '../application/session.aggregate';
import type { TicketMirrorView } from './ticket.mirror';
import { evolveTicketMirror } from './ticket.mirror';
import { TicketEventsController } from './ticket-events.controller';

/** Other services' entities a session refers to: technicians, devices and tickets, from their topics. */
@Module({})
export class SessionsMirrorsModule {
  static forRoot(): DynamicModule {
    return mirrorsModule(SessionsMirrorsModule, [
      techniciansMirror(TECHNICIANS_MIRROR),
      devicesMirror(DEVICES_MIRROR),
      {
        token: TICKETS_MIRROR,
        controller: TicketEventsController,
        provider: indexedProjectionProvider(TICKETS_MIRROR, {
          name: 'tickets',
          topic: SERVICES.tickets.topic,
          createIndex: () => new EntityMirror<TicketMirrorView>(evolveTicketMirror),
          events: TICKET_EVENTS,
        }),
      },
    ]);
  }
}
