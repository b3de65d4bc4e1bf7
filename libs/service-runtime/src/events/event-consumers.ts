import { Injectable } from '@nestjs/common';
import type { EventEnvelope } from '@keyward/contracts';

/**
 * What applying one event did (ProjectionIndex.apply): folded in, already seen (its version is not
 * above the aggregate's), folded in past a version gap, or refused past one (dead-lettered).
 */
export type ApplyOutcome = 'applied' | 'duplicate' | 'gap' | 'quarantined';

export function isApplyOutcome(value: unknown): value is ApplyOutcome {
  return value === 'applied' || value === 'duplicate' || value === 'gap' || value === 'quarantined';
}

/**
 * How a consumer has a parsed event applied to a state (its live index, or the fresh one of a
 * rebuild): by the `@EventPattern` handler of the event's type (EventConsumerTransport). Synchronous,
 * so the apply stays in the consumer's batch loop: offsets, dedup and checkpoints stay where they are.
 * Throws when no handler applies the type; the consumer dead-letters the event then.
 */
export type EventDispatch = (event: EventEnvelope, state: unknown) => ApplyOutcome;

/**
 * A view a consumer reports once it is persisted: its aggregate's id and the version of the last
 * event folded into it, which says which applied events the persisted view already has (a persist
 * under way when a later event came has the view from before it). A type alias, not an interface:
 * views are written as documents, which takes the implicit index signature only an alias has.
 */
export type ConsumerView = { readonly id: string; readonly version: number };

/**
 * A consumer of one topic (IndexedProjection; BatchConsumer, for the usage read model) whose events
 * the event transport hands to the `@EventPattern` handlers of the app's controllers. The consumer
 * keeps every guarantee itself (commit after the write, per-version dedup, checkpoints, snapshots,
 * supervision, rebuild, dead letters, per-instance groups; docs/consumers.md); the transport binds
 * the handlers, then starts and stops it.
 */
export interface EventConsumer {
  /** Operator-facing name (`keys`, `technicians`): unique in the service. */
  readonly name: string;
  /** The event types of its topic (the topic's registry): the patterns whose handlers apply its events. */
  readonly eventTypes: readonly string[];
  /**
   * The state the service reads now (a rebuild swaps it): reactions follow only what is applied to
   * it. Absent for a consumer that keeps no state between batches (BatchConsumer: each batch is
   * applied to a fresh accumulator, then written).
   */
  readonly index?: unknown;
  /** Set before start: every event it reads is applied through `dispatch`. */
  dispatchThrough(dispatch: EventDispatch): void;
  /**
   * Called with each view the live consumer changed, once it is persisted and its offset committed.
   * Absent for a consumer that has no views to report: an `AFTER_COMMIT` reaction to one of its
   * types is refused at start (it would never run).
   */
  onChange?(listener: (view: ConsumerView) => void): void;
  /** Never throws: a consumer that cannot start yet retries in the background (not ready meanwhile). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The service's event consumers, registered by their providers (indexedProjectionProvider, the key
 * projection, the keys service's usage projector) and started by the event transport once their handlers are bound, never before: an
 * event is never applied without its `@EventPattern` handler.
 */
@Injectable()
export class EventConsumers {
  private readonly consumers = new Map<string, EventConsumer>();

  register(consumer: EventConsumer): void {
    if (this.consumers.has(consumer.name)) throw new Error(`two event consumers are named ${consumer.name}`);
    this.consumers.set(consumer.name, consumer);
  }

  all(): readonly EventConsumer[] {
    return [...this.consumers.values()];
  }
}
