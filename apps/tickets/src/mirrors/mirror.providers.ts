import type { FactoryProvider, Provider } from '@nestjs/common';
import type { Connection } from 'mongoose';
import { SERVICES, SESSION_EVENT_TYPES, TECHNICIAN_EVENT_TYPES } from '@keyward/contracts';
import { EntityMirror, envelopeParser, indexedProjectionProvider } from '@keyward/projections';
import { MONGO_CONNECTION } from '@keyward/service-runtime';
import { SESSIONS_MIRROR, TECHNICIANS_MIRROR } from '../application/tickets.tokens';
import type { SessionMirrorView } from './session.mirror';
import { evolveSessionMirror } from './session.mirror';
import type { TechnicianMirrorView } from './technician.mirror';
import { evolveTechnicianMirror } from './technician.mirror';

/** Other services' entities tickets needs: technicians (to assign) and sessions (the process manager). */
export function mirrorProviders(): Provider[] {
  return [
    afterDatabaseOpen(indexedProjectionProvider(TECHNICIANS_MIRROR, {
      name: 'technicians',
      topic: SERVICES.technicians.topic,
      createIndex: () => new EntityMirror<TechnicianMirrorView>(evolveTechnicianMirror),
      parse: envelopeParser(TECHNICIAN_EVENT_TYPES),
    })),
    afterDatabaseOpen(indexedProjectionProvider(SESSIONS_MIRROR, {
      name: 'sessions',
      topic: SERVICES.sessions.topic,
      createIndex: () => new EntityMirror<SessionMirrorView>(evolveSessionMirror),
      parse: envelopeParser(SESSION_EVENT_TYPES),
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
