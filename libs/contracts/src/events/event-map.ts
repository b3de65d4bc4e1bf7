import type { EventEnvelope } from './event-envelope';

/**
 * A command: an imperative `type` and what it carries (emmett's `Command<T, D>`). Who sends it
 * (`by`, the caller's permissions) and what was looked up for it travel in `data`, so `decide`
 * reads one shape for every service.
 */
export interface Command<TType extends string = string, TData = unknown> {
  readonly type: TType;
  readonly data: TData;
}

/** The schemaVersion each type of an event map is written with: 1 for every type unless a service says otherwise. */
export type SchemaVersions<M> = { readonly [T in keyof M & string]: number };
type AllVersionOne<M> = { readonly [T in keyof M & string]: 1 };

/**
 * The events of an event map (type → data) as `decide` returns them, before the store gives each
 * its envelope: one member per type, so a `switch` on `type` narrows `data`.
 */
export type DomainEventOf<M, V extends SchemaVersions<M> = AllVersionOne<M>> = {
  [T in keyof M & string]: { readonly type: T; readonly schemaVersion: V[T]; readonly data: M[T] };
}[keyof M & string];

/** The events of an event map as stored and published, one member per type. */
export type EnvelopeOf<M> = { [T in keyof M & string]: EventEnvelope<T, M[T]> }[keyof M & string];

/**
 * An event of an envelope type `E` as a decider returns it: its type, schemaVersion and data,
 * before the store assigns the rest (one member per type of `E`).
 */
export type DecidedEvent<E extends EventEnvelope> = E extends EventEnvelope
  ? { readonly type: E['type']; readonly schemaVersion: number; readonly data: E['data'] }
  : never;
