import type { FactoryProvider, Provider } from '@nestjs/common';
import type { Connection } from 'mongoose';
import { DEVICE_EVENT_TYPES, SERVICES, TECHNICIAN_EVENT_TYPES, TICKET_EVENT_TYPES } from '@keyward/contracts';
import { EntityMirror, envelopeParser, indexedProjectionProvider } from '@keyward/projections';
import { MONGO_CONNECTION } from '@keyward/service-runtime';
import { DEVICES_MIRROR, TECHNICIANS_MIRROR, TICKETS_MIRROR } from '../application/sessions.tokens';
import type { DeviceMirrorView } from './device.mirror';
import { evolveDeviceMirror } from './device.mirror';
import type { TechnicianMirrorView } from './technician.mirror';
import { evolveTechnicianMirror } from './technician.mirror';
import type { TicketMirrorView } from './ticket.mirror';
import { evolveTicketMirror } from './ticket.mirror';

/** Other services' entities a session refers to: technicians, devices and tickets, from their topics. */
export function mirrorProviders(): Provider[] {
  return [
    afterDatabaseOpen(indexedProjectionProvider(TECHNICIANS_MIRROR, {
      name: 'technicians',
      topic: SERVICES.technicians.topic,
      createIndex: () => new EntityMirror<TechnicianMirrorView>(evolveTechnicianMirror),
      parse: envelopeParser(TECHNICIAN_EVENT_TYPES),
    })),
    afterDatabaseOpen(indexedProjectionProvider(DEVICES_MIRROR, {
      name: 'devices',
      topic: SERVICES.devices.topic,
      createIndex: () => new EntityMirror<DeviceMirrorView>(evolveDeviceMirror),
      parse: envelopeParser(DEVICE_EVENT_TYPES),
    })),
    afterDatabaseOpen(indexedProjectionProvider(TICKETS_MIRROR, {
      name: 'tickets',
      topic: SERVICES.tickets.topic,
      createIndex: () => new EntityMirror<TicketMirrorView>(evolveTicketMirror),
      parse: envelopeParser(TICKET_EVENT_TYPES),
    })),
  ];
}

/**
 * Starts a mirror only once the service's database connection is open. indexedProjectionProvider
 * starts the projection inside its factory, which Nest can run before InfraConnections has
 * awaited the connection; the projection's first read (`find().toArray()`) then meets mongoose's
 * command buffering, where `find` returns a promise, not a cursor, and start-up fails. (Reported
 * for libs/projections; harmless to keep once fixed there.)
 */
function afterDatabaseOpen<T>(provider: FactoryProvider<T>): FactoryProvider<T> {
  return {
    ...provider,
    inject: [...(provider.inject ?? []), MONGO_CONNECTION],
    useFactory: async (...args: unknown[]): Promise<T> => {
      const connection = args[args.length - 1] as Connection;
      await connection.asPromise();
      return provider.useFactory(...args.slice(0, -1)) as T | Promise<T>;
    },
  };
}
