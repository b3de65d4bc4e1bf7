import type { EventEnvelope } from '@keyward/contracts';

/**
 * An event as the store keeps it. `_id` is the stream id and the zero-padded version
 * (`eventKey`): its uniqueness is the optimistic concurrency check, and every read of a stream
 * is a lookup by `_id` (the only query FerretDB answers from an index). `eventId` is the
 * envelope's id.
 */
export interface StoredEventDoc {
  _id: string;
  eventId: string;
  /**
   * Append order across all streams, approximately: the appending process's clock in
   * microseconds, strictly increasing within that process. Not unique across processes and not
   * used for anything that must be exact (no counter: FerretDB's `$inc` is not atomic).
   */
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
}

/**
 * An outbox marker: one per appended event not yet published, with the same `_id` as the event
 * and a copy of it. Written before the event (so a crash after the event's insert still leaves
 * it to publish), deleted once the event is on the topic. The collection holds only the backlog.
 */
export interface OutboxMarkerDoc {
  _id: string;
  /** When the appender wrote it (epoch ms, its clock): an old marker whose event is missing is completed by the relay. */
  at: number;
  event: StoredEventDoc;
}

export interface StoredEvent extends EventEnvelope {
  readonly position: number;
  readonly aggregateType: string;
}

/** Versions up to 10 digits keep one stream's `_id`s in version order as strings. */
const VERSION_DIGITS = 10;

/** The `_id` of a stream's event at `version` (and of its outbox marker). */
export function eventKey(aggregateId: string, version: number): string {
  return `${aggregateId}:${String(version).padStart(VERSION_DIGITS, '0')}`;
}

export function toStoredEvent(doc: StoredEventDoc): StoredEvent {
  return {
    id: doc.eventId,
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
