/**
 * The one envelope every event of every service travels in, in the event store and on Kafka
 * (as JSON; the Kafka message key is `aggregateId`, so one aggregate's events keep their order).
 * `version` is the aggregate's sequence number: consumers drop what they have seen and notice gaps.
 */
export interface EventEnvelope<TType extends string = string, TData = unknown> {
  /** Globally unique id of this event (UUID). */
  readonly id: string;
  /** Wire name, past tense (`KeyRotated`); never a class name. */
  readonly type: TType;
  /** Version of `data`'s shape; a breaking change gets a new number and an upcaster. */
  readonly schemaVersion: number;
  readonly aggregateId: string;
  readonly accountId: string;
  /** 1 for the aggregate's first event, then +1 per event, with no gaps. */
  readonly version: number;
  /** ISO-8601 UTC. */
  readonly occurredAt: string;
  readonly data: TData;
  /** Ties together every event caused by one request, across services. */
  readonly correlationId?: string;
  /** The id of the event (or request) that caused this one. */
  readonly causationId?: string;
}

/** A typed event before it is stored: the envelope without the fields the store assigns. */
export interface DomainEvent<TType extends string = string, TData = unknown> {
  readonly type: TType;
  readonly schemaVersion: number;
  readonly data: TData;
}
