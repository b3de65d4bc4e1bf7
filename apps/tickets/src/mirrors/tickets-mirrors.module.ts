import type { DynamicModule } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { SERVICES, SESSION_EVENTS } from '@keyward/contracts';
import { devicesMirror, entityMirror, mirrorsModule, techniciansMirror } from '@keyward/projections';
import { SESSIONS_MIRROR } from '../application/ticket.aggregate';
import type { SessionMirrorView } from './session.mirror';
import { evolveSessionMirror } from './session.mirror';
import { SessionEventsController } from './session-events.controller';

/** Other services' entities tickets needs: technicians (to assign), devices (a ticket's device) and sessions (the process manager). */
@Module({})
export class TicketsMirrorsModule {
  static forRoot(): DynamicModule {
    return mirrorsModule(TicketsMirrorsModule, [
      techniciansMirror(),
      devicesMirror(),
      entityMirror<SessionMirrorView>({
        token: SESSIONS_MIRROR, name: 'sessions', topic: SERVICES.sessions.topic, events: SESSION_EVENTS,
        evolve: evolveSessionMirror, controller: SessionEventsController,
      }),
    ]);
  }
}
