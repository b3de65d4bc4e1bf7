import type { Provider } from '@nestjs/common';
import { DEVICE_EVENTS, SERVICES, SESSION_EVENTS, TECHNICIAN_EVENTS } from '@keyward/contracts';
import { EntityMirror, indexedProjectionProvider } from '@keyward/projections';
import { DEVICES_MIRROR, SESSIONS_MIRROR, TECHNICIANS_MIRROR } from '../application/ticket.aggregate';
import type { SessionMirrorView } from './session.mirror';
import { evolveSessionMirror } from './session.mirror';
import type { DeviceMirrorView, TechnicianMirrorView } from '@keyward/projections';
import { evolveDeviceMirror, evolveTechnicianMirror } from '@keyward/projections';

/** Other services' entities tickets needs: technicians (to assign), devices (a ticket's device) and sessions (the process manager). */
export function mirrorProviders(): Provider[] {
  return [
    indexedProjectionProvider(TECHNICIANS_MIRROR, {
      name: 'technicians',
      topic: SERVICES.technicians.topic,
      createIndex: () => new EntityMirror<TechnicianMirrorView>(evolveTechnicianMirror),
      events: TECHNICIAN_EVENTS,
    }),
    indexedProjectionProvider(DEVICES_MIRROR, {
      name: 'devices',
      topic: SERVICES.devices.topic,
      createIndex: () => new EntityMirror<DeviceMirrorView>(evolveDeviceMirror),
      events: DEVICE_EVENTS,
    }),
    indexedProjectionProvider(SESSIONS_MIRROR, {
      name: 'sessions',
      topic: SERVICES.sessions.topic,
      createIndex: () => new EntityMirror<SessionMirrorView>(evolveSessionMirror),
      events: SESSION_EVENTS,
    }),
  ];
}

