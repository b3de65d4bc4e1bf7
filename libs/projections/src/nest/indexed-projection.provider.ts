import type { FactoryProvider } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { Connection } from 'mongoose';
import type { ServiceConfig } from '@keyward/config';
import { topicName } from '@keyward/config';
import type { EventEnvelope, ParsedEvent } from '@keyward/contracts';
import { EventConsumers, KAFKA, MONGO_CONNECTION, ReadinessService, SERVICE_CONFIG } from '@keyward/service-runtime';
import type { ConsumerView } from '@keyward/service-runtime';
import type { ProjectionIndex } from '../indexed-projection';
import { IndexedProjection } from '../indexed-projection';
import { ProjectionRegistry } from '../projection-registry';
import { projectionSnapshotOptions } from '../snapshots/snapshot-config';
import { withSnapshot } from '../snapshots/projection-snapshots';

export interface IndexedProjectionSpec<V extends ConsumerView, I extends ProjectionIndex<V>> {
  /** Operator-facing name (`technicians`, `devices`): unique in the service. */
  readonly name: string;
  /** The contract's topic name (the configured prefix is added). */
  readonly topic: string;
  readonly createIndex: () => I;
  /** The topic's event registry from libs/contracts (`TECHNICIAN_EVENTS`, ...). */
  readonly events: { parse(value: Buffer | null): ParsedEvent<EventEnvelope>; readonly types: readonly string[] };
}

/**
 * A Nest provider of an IndexedProjection: registered with the event transport (which binds the
 * `@EventPattern` handlers of its topic's event types and then starts it: persisted state loaded,
 * caught up in the background, before the app listens), with readiness and with the operator
 * registry; stopped on shutdown. Its consumer group is `<prefix>keyward-<service>-<name>-projection.<instanceId>`.
 */
export function indexedProjectionProvider<V extends ConsumerView, I extends ProjectionIndex<V>>(
  token: symbol,
  spec: IndexedProjectionSpec<V, I>,
): FactoryProvider<IndexedProjection<V, I>> {
  return {
    provide: token,
    inject: [KAFKA, MONGO_CONNECTION, SERVICE_CONFIG, ReadinessService, ProjectionRegistry, EventConsumers],
    useFactory: async (kafka: Kafka, connection: Connection, config: ServiceConfig, readiness: ReadinessService, registry: ProjectionRegistry, consumers: EventConsumers) => {
      // Nest may build this before the runtime has awaited the connection; mongoose would buffer
      // the projection's first read (and hand back a promise where a cursor is expected).
      await connection.asPromise();
      const logger = new Logger(`Projection:${spec.name}`);
      const projection = new IndexedProjection<V, I>(kafka, connection, {
        name: spec.name,
        topic: topicName(config, spec.topic),
        groupId: `${config.topicPrefix}keyward-${config.service}-${spec.name}-projection`,
        collection: `projection_${spec.name}`,
        createIndex: spec.createIndex,
        parse: (value) => spec.events.parse(value),
        eventTypes: spec.events.types,
        maxStalenessMs: 0,
        ...withSnapshot(projectionSnapshotOptions(config)),
        // A mirror is seen whole by every instance (docs/scaling.md).
        instanceId: config.instanceId,
        log: { log: (m) => logger.log(m), warn: (m) => logger.warn(m) },
      });
      // Started by the event transport once its handlers are bound (startServiceApp).
      consumers.register(projection);
      readiness.register({ name: `${spec.name}-projection`, check: async () => projection.readiness() });
      registry.register(projection);
      return projection;
    },
  };
}
