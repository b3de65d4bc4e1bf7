import { Logger } from '@nestjs/common';
import type { ModulesContainer } from '@nestjs/core';
import type { CustomTransportStrategy } from '@nestjs/microservices';
import { Server } from '@nestjs/microservices';
import type { EventEnvelope } from '@keyward/contracts';
import type { ApplyOutcome, ConsumerView, EventConsumer, EventConsumers, EventDispatch } from './event-consumers';
import { isApplyOutcome } from './event-consumers';
import type { EventHandler } from './event-handlers';
import { discoverEventHandlers } from './event-handlers';

/** A parsed event of a type no `@EventPattern` handler of this service applies: the consumer dead-letters it. */
export class UnhandledEvent extends Error {
  constructor(consumer: string, type: string) {
    super(`no @EventPattern('${type}') handler applies it to the ${consumer} projection`);
    this.name = 'UnhandledEvent';
  }
}

type Call = Pick<EventHandler, 'method' | 'instance'>;

/**
 * Our Nest transport for the platform's event topics (docs/consumers.md, "Event handlers"):
 * `@EventPattern('<EventType>')` methods of the app's controllers are the handlers, and the
 * service's EventConsumers (IndexedProjection: the key projection, the mirrors; BatchConsumer: the
 * keys service's usage read model) do the consuming.
 *
 * It does not read Kafka itself: each consumer keeps its supervised consumer group, its
 * persist-before-commit, per-version dedup, checkpoints, snapshots, rebuilds and dead letters. The
 * transport is the dispatcher each consumer calls per parsed event (synchronously, in its batch
 * loop: the handler applies the event to the state it is given and returns the apply outcome), and
 * `listen()` starts the consumers once every handler is bound, `close()` stops them.
 *
 * Checked at start (a wrong wiring fails the start, not a later event): one apply handler per
 * event type; every handler's type is read by some consumer of this service, and a reaction's by
 * one that reports its persisted views. A type of a
 * consumer's topic without a handler is logged; its events go to the dead letters.
 */
export class EventConsumerTransport extends Server implements CustomTransportStrategy {
  private readonly log = new Logger('EventConsumerTransport');

  constructor(private readonly consumers: EventConsumers, private readonly modules: ModulesContainer) {
    super();
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      this.bind(discoverEventHandlers(this.modules, this.transportId));
      // Each start never throws: a consumer whose Kafka or database is not up yet retries in the background.
      await Promise.all(this.consumers.all().map((c) => c.start()));
      callback();
    } catch (e) {
      callback(e);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.consumers.all().map((c) => c.stop()));
  }

  /** Nothing to subscribe to: the consumers report through /ready, /admin/projections and /metrics. */
  on(): never {
    throw new Error('EventConsumerTransport has no events of its own');
  }

  unwrap<T = never>(): T {
    throw new Error('EventConsumerTransport wraps no single client: each consumer has its own');
  }

  private bind(handlers: readonly EventHandler[]): void {
    const registered = this.getHandlers();
    const apply = new Map<string, EventHandler>();
    const react = new Map<string, EventHandler[]>();
    for (const h of handlers) {
      // Found the way Nest found them (same explorer): a mismatch means Nest and we disagree on the wiring.
      if (!registered.has(h.pattern)) throw new Error(`${h.owner}: @EventPattern('${h.pattern}') was not registered with this transport by Nest`);
      if (h.afterCommit) {
        react.set(h.pattern, [...(react.get(h.pattern) ?? []), h]);
        continue;
      }
      const other = apply.get(h.pattern);
      if (other) throw new Error(`${h.pattern} has two apply handlers, ${other.owner} and ${h.owner}: an event is applied once`);
      apply.set(h.pattern, h);
    }
    const read = new Set<string>();
    /** Types read by a consumer that reports its persisted views (`onChange`): the only ones a reaction can follow. */
    const reactable = new Set<string>();
    for (const consumer of this.consumers.all()) {
      const table = new Map<string, Call>();
      const reactions = new Map<string, Call[]>();
      for (const type of consumer.eventTypes) {
        read.add(type);
        const handler = apply.get(type);
        if (handler) table.set(type, handler);
        if (!consumer.onChange) continue;
        reactable.add(type);
        const r = react.get(type);
        if (r) reactions.set(type, r);
      }
      const unhandled = consumer.eventTypes.filter((t) => !table.has(t));
      if (unhandled.length > 0) this.log.warn(`${consumer.name}: no @EventPattern handler for ${unhandled.join(', ')}; such events go to the dead letters`);
      consumer.dispatchThrough(this.dispatcher(consumer, table, reactions));
    }
    for (const h of handlers) {
      if (!read.has(h.pattern)) throw new Error(`${h.owner}: no event consumer of this service reads ${h.pattern} events`);
      if (h.afterCommit && !reactable.has(h.pattern)) {
        throw new Error(`${h.owner}: the consumers of ${h.pattern} events report no persisted views, so an AFTER_COMMIT reaction to them would never run`);
      }
    }
  }

  /**
   * The per-event path: one lookup and the handler's call (plus, for a type with reactions, one
   * map write): ~50 ns per event on the 2-core box, against microseconds for a key's apply.
   * Reactions fire from the consumer's `onChange`, i.e. after the view is persisted and its offset
   * committed, with the first persisted view that has the event (by version); only events applied
   * to the live state count (not a rebuild's reading).
   */
  private dispatcher(consumer: EventConsumer, table: ReadonlyMap<string, Call>, reactions: ReadonlyMap<string, readonly Call[]>): EventDispatch {
    const name = consumer.name;
    const pending = new Map<string, EventEnvelope>();
    const reacts = reactions.size > 0;
    if (reacts) {
      // Only a consumer with onChange has reactions (bind).
      consumer.onChange?.((view) => {
        const event = pending.get(view.id);
        // A view persisted from before the event was applied (its persist was under way when the
        // event came) does not have it: the persist that writes it runs the reaction, with that view.
        if (event === undefined || view.version < event.version) return;
        pending.delete(view.id);
        for (const react of reactions.get(event.type) ?? []) this.react(name, react, event, view);
      });
    }
    return (event: EventEnvelope, state: unknown): ApplyOutcome => {
      const handler = table.get(event.type);
      if (handler === undefined) throw new UnhandledEvent(name, event.type);
      const outcome = handler.method.call(handler.instance, event, state);
      if (!isApplyOutcome(outcome)) throw new Error(`the ${event.type} handler of ${name} returned ${String(outcome)}, not an apply outcome`);
      if (reacts && (outcome === 'applied' || outcome === 'gap') && reactions.has(event.type) && state === consumer.index) pending.set(event.aggregateId, event);
      return outcome;
    };
  }

  private react(consumer: string, react: Call, event: EventEnvelope, view: ConsumerView): void {
    const failed = (e: unknown): void => {
      this.log.error(`${consumer}: the reaction to ${event.type} v${event.version} of ${event.aggregateId} failed: ${e instanceof Error ? e.message : String(e)}`);
    };
    try {
      const result = react.method.call(react.instance, event, view);
      if (result instanceof Promise) result.catch(failed);
    } catch (e) {
      failed(e);
    }
  }
}
