import type { EventEnvelope } from './event-envelope';
import type { EnvelopeOf } from './event-map';
import type { Schema } from './schema';
import { conforms, integer, isoDateTime, nonEmpty, object, optional, text } from './schema';

/** An older shape of an event's data, and how to turn it into the next schemaVersion's. */
export interface OlderShape {
  readonly schema: Schema<unknown>;
  readonly up: (data: unknown) => unknown;
}

/** Declares an older shape with its data typed for the upcaster. */
export function olderShape<O>(schema: Schema<O>, up: (data: O) => unknown): OlderShape {
  return { schema, up: (data) => (conforms(schema, data) ? up(data) : data) };
}

/** One event type of a topic: the current schemaVersion, its data schema, and the older shapes. */
export interface EventTypeSpec<D> {
  readonly schemaVersion: number;
  readonly data: Schema<D>;
  /** By schemaVersion: each older shape upcasts to the version after it. */
  readonly older?: Readonly<Record<number, OlderShape>>;
}

export type EventSpecs<M> = { readonly [T in keyof M & string]: EventTypeSpec<M[T]> };

/** A message as an event of the topic, or why it is not one (the reason goes to the dead letter). */
export type ParsedEvent<E> = { readonly ok: true; readonly event: E } | { readonly ok: false; readonly reason: string };

/**
 * What reads a topic's messages as its events `E` (upcast and checked): EventRegistry<M> is one,
 * for `E = EnvelopeOf<M>`. The event store's aggregates and every consumer read through it.
 */
export interface EventReader<E> {
  /** A Kafka message's value. */
  parse(value: Buffer | string | null | undefined): ParsedEvent<E>;
  /** A decoded JSON value, or a stored event. */
  parseEnvelope(raw: unknown): ParsedEvent<E>;
}

const envelopeSchema = object({
  id: text({ min: 1, max: 200 }),
  type: text({ min: 1, max: 200 }),
  schemaVersion: integer(1, 1_000),
  aggregateId: text({ min: 1, max: 200 }),
  accountId: text({ min: 1, max: 200 }),
  version: integer(1),
  occurredAt: isoDateTime,
  correlationId: optional(nonEmpty),
  causationId: optional(nonEmpty),
});

/** Largest message read as an event: an envelope is well under 4 KiB; anything near this is not ours. */
const MAX_MESSAGE_BYTES = 1024 * 1024;

/**
 * The one parser and upcaster registry of a topic: every consumer (key projection, mirrors, rebuilds)
 * reads messages through `parse`, and the owning service's event store upcasts through `upcast`.
 * A message is an event only when its envelope is whole, its type is one of the topic's, and its
 * data matches that type's schema at its schemaVersion (older versions are upcast to the current
 * one first). An unknown type or a schemaVersion newer than this code is refused, not guessed at:
 * consumers are deployed before the producers that emit a new shape.
 */
export class EventRegistry<M> implements EventReader<EnvelopeOf<M>> {
  constructor(readonly topic: string, private readonly specs: EventSpecs<M>) {}

  /** Whether `type` is one of this topic's event types (narrows a discriminant, says nothing of the data). */
  isType(type: string): type is keyof M & string {
    return this.spec(type) !== undefined;
  }

  get types(): readonly string[] {
    return Object.keys(this.specs);
  }

  /** A Kafka message's value as an event of this topic. */
  parse(value: Buffer | string | null | undefined): ParsedEvent<EnvelopeOf<M>> {
    if (value === null || value === undefined) return { ok: false, reason: 'the message has no value' };
    if (value.length > MAX_MESSAGE_BYTES) return { ok: false, reason: `the message is larger than ${MAX_MESSAGE_BYTES} bytes` };
    let raw: unknown;
    try {
      raw = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
    } catch {
      return { ok: false, reason: 'the message is not JSON' };
    }
    return this.parseEnvelope(raw);
  }

  /** A decoded JSON value as an event of this topic. */
  parseEnvelope(raw: unknown): ParsedEvent<EnvelopeOf<M>> {
    const bad = envelopeSchema.check(raw, 'event');
    if (bad || !conforms(envelopeSchema, raw)) return { ok: false, reason: bad ?? 'not an event envelope' };
    const spec = this.spec(raw.type);
    if (!spec) return { ok: false, reason: `${raw.type} is not an event of ${this.topic}` };
    if (raw.schemaVersion > spec.schemaVersion) {
      return { ok: false, reason: `${raw.type} schemaVersion ${raw.schemaVersion} is newer than this code reads (${spec.schemaVersion})` };
    }
    const data = this.upcastData(spec, raw.schemaVersion, (raw as { data?: unknown }).data, raw.type);
    if (!data.ok) return data;
    const problem = spec.data.check(data.value, 'data');
    if (problem) return { ok: false, reason: `${raw.type} v${raw.schemaVersion}: ${problem}` };
    return { ok: true, event: this.envelope(raw, spec.schemaVersion, data.value) };
  }

  /** An event of this topic in its current shape (unknown types and versions pass unchanged). */
  upcast(event: EventEnvelope): EventEnvelope {
    const spec = this.spec(event.type);
    if (!spec || event.schemaVersion >= spec.schemaVersion) return event;
    const data = this.upcastData(spec, event.schemaVersion, event.data, event.type);
    return data.ok ? { ...event, schemaVersion: spec.schemaVersion, data: data.value } : event;
  }

  private upcastData(spec: EventTypeSpec<unknown>, from: number, data: unknown, type: string): { ok: true; value: unknown } | { ok: false; reason: string } {
    let value = data;
    for (let v = from; v < spec.schemaVersion; v++) {
      const shape = spec.older?.[v];
      if (!shape) return { ok: false, reason: `${type} schemaVersion ${v} is not known` };
      const problem = shape.schema.check(value, 'data');
      if (problem) return { ok: false, reason: `${type} v${v}: ${problem}` };
      value = shape.up(value);
    }
    return { ok: true, value };
  }

  private spec(type: string): EventTypeSpec<unknown> | undefined {
    return Object.prototype.hasOwnProperty.call(this.specs, type) ? (this.specs as Readonly<Record<string, EventTypeSpec<unknown>>>)[type] : undefined;
  }

  /**
   * The validated envelope, rebuilt from its checked fields only (no stray field of the message
   * reaches a projection). The data was checked against the type's schema just before.
   */
  private envelope(raw: { id: string; type: string; aggregateId: string; accountId: string; version: number; occurredAt: string; correlationId?: string; causationId?: string }, schemaVersion: number, data: unknown): EnvelopeOf<M> {
    const envelope: EventEnvelope = {
      id: raw.id, type: raw.type, schemaVersion, aggregateId: raw.aggregateId, accountId: raw.accountId,
      version: raw.version, occurredAt: raw.occurredAt, data,
      ...(raw.correlationId !== undefined ? { correlationId: raw.correlationId } : {}),
      ...(raw.causationId !== undefined ? { causationId: raw.causationId } : {}),
    };
    // The one place a checked value becomes its type: `type` is a key of M (spec() found it) and
    // `data` passed that type's schema, which the constructor's EventSpecs<M> ties to M[type].
    return envelope as EnvelopeOf<M>;
  }
}
