import type { DynamicModule } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { SERVICES, SESSION_EVENTS } from '@keyward/contracts';
import { devicesMirror, EntityMirror, indexedProjectionProvider, mirrorsModule, techniciansMirror } from '@keyward/projections';
import { DEVICES_MIRROR, SESSIONS_MIRROR, TECHNICIANS_MIRROR } from '../application/ticket.aggregate';
import type { SessionMirrorView } from './session.mirror';
import { evolveSessionMirror } from './session.mirror';
import { SessionEventsController } from './session-events.controller';

/** Other services' entities tickets needs: technicians (to assign), devices (a ticket's device) and sessions (the process manager). */
@Module({})
export class TicketsMirrorsModule {
  static forRoot(): DynamicModule {
    return mirrorsModule(TicketsMirrorsModule, [
      techniciansMirror(TECHNICIANS_MIRROR),
      devicesMirror(DEVICES_MIRROR),
      {
        token: SESSIONS_MIRROR,
        controller: SessionEventsController,
        provider: indexedProjectionProvider(SESSIONS_MIRROR, {
          name: 'sessions',
          topic: SERVICES.sessions.topic,
          createIndex: () => new EntityMirror<SessionMirrorView>(evolveSessionMirror),
          events: SESSION_EVENTS,
        }),
      },
    ]);
  }
}
