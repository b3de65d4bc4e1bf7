import type { EventEnvelope } from '@keyward/contracts';

/**
 * An event as the store keeps it: the envelope plus its global `position` (append order across
 * all streams) and the outbox state. `_id` is the event id.
 */
export interface StoredEventDoc {
  _id: string;
  position: number;
  aggregateId: string;
  aggregateType: string;
  accountId: string;
  version: number;
  type: string;
  schemaVersion: number;
  occurredAt: Date;
  data: unknown;
  correlationId?: string;
  causationId?: string;
  /** Outbox: false until the relay has published the event to Kafka. */
  published: boolean;
  publishedAt?: Date;
}

export interface StoredEvent extends EventEnvelope {
  readonly position: number;
  readonly aggregateType: string;
}

export function toStoredEvent(doc: StoredEventDoc): StoredEvent {
  return {
    id: doc._id,
    type: doc.type,
    schemaVersion: doc.schemaVersion,
    aggregateId: doc.aggregateId,
    aggregateType: doc.aggregateType,
    accountId: doc.accountId,
    version: doc.version,
    occurredAt: doc.occurredAt.toISOString(),
    data: doc.data,
    position: doc.position,
    ...(doc.correlationId !== undefined ? { correlationId: doc.correlationId } : {}),
    ...(doc.causationId !== undefined ? { causationId: doc.causationId } : {}),
  };
}

/** The envelope as it travels on Kafka: no store-internal fields. */
export function toEnvelope(e: StoredEvent): EventEnvelope {
  const { position: _position, aggregateType: _aggregateType, ...envelope } = e;
  return envelope;
}
