import type { Provider } from '@nestjs/common';
import { SERVICES, SESSION_EVENTS, TECHNICIAN_EVENTS } from '@keyward/contracts';
import { EntityMirror, indexedProjectionProvider } from '@keyward/projections';
import { SESSIONS_MIRROR, TECHNICIANS_MIRROR } from '../application/tickets.tokens';
import type { SessionMirrorView } from './session.mirror';
import { evolveSessionMirror } from './session.mirror';
import type { TechnicianMirrorView } from '@keyward/projections';
import { evolveTechnicianMirror } from '@keyward/projections';

/** Other services' entities tickets needs: technicians (to assign) and sessions (the process manager). */
export function mirrorProviders(): Provider[] {
  return [
    indexedProjectionProvider(TECHNICIANS_MIRROR, {
      name: 'technicians',
      topic: SERVICES.technicians.topic,
      createIndex: () => new EntityMirror<TechnicianMirrorView>(evolveTechnicianMirror),
      events: TECHNICIAN_EVENTS,
    }),
    indexedProjectionProvider(SESSIONS_MIRROR, {
      name: 'sessions',
      topic: SERVICES.sessions.topic,
      createIndex: () => new EntityMirror<SessionMirrorView>(evolveSessionMirror),
      events: SESSION_EVENTS,
    }),
  ];
}

