import type { Provider } from '@nestjs/common';
import { DEVICE_EVENTS, SERVICES, TECHNICIAN_EVENTS, TICKET_EVENTS } from '@keyward/contracts';
import { EntityMirror, indexedProjectionProvider } from '@keyward/projections';
import { DEVICES_MIRROR, TECHNICIANS_MIRROR, TICKETS_MIRROR } from '../application/session.aggregate';
import type { DeviceMirrorView } from './device.mirror';
import { evolveDeviceMirror } from './device.mirror';
import type { TechnicianMirrorView } from '@keyward/projections';
import { evolveTechnicianMirror } from '@keyward/projections';
import type { TicketMirrorView } from './ticket.mirror';
import { evolveTicketMirror } from './ticket.mirror';

/** Other services' entities a session refers to: technicians, devices and tickets, from their topics. */
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
    indexedProjectionProvider(TICKETS_MIRROR, {
      name: 'tickets',
      topic: SERVICES.tickets.topic,
      createIndex: () => new EntityMirror<TicketMirrorView>(evolveTicketMirror),
      events: TICKET_EVENTS,
    }),
  ];
}

