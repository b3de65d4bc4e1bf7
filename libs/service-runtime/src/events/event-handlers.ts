import type { ModulesContainer } from '@nestjs/core';
import { MetadataScanner } from '@nestjs/core';
import type { TransportId } from '@nestjs/microservices';
// The explorer Nest's own ListenersController reads @EventPattern/@MessagePattern with: the same
// methods, patterns and extras are found here as Nest registers with the transport.
import { ListenerMetadataExplorer } from '@nestjs/microservices/listener-metadata-explorer';

/**
 * `@EventPattern(types, AFTER_COMMIT)`: a reaction, not an apply. It runs once the event's consumer
 * has persisted the view the event changed and committed its offset, with `(event, view)`; its
 * return value is ignored and what it throws is logged. One per aggregate and persist: the last event
 * of those types applied to it, with the first persisted view that has it (a view whose persist
 * began before the event came waits for the next one).
 */
export const AFTER_COMMIT = { keyward: 'after-commit' } as const;

/** A controller method declared with `@EventPattern`, and its controller instance. */
export interface EventHandler {
  readonly pattern: string;
  /** `Controller.method`, for error messages. */
  readonly owner: string;
  readonly afterCommit: boolean;
  /** Called as `method.call(instance, ...)`: cheaper per event than a bound function (measured). */
  readonly method: (...args: unknown[]) => unknown;
  readonly instance: object;
}

/**
 * Every `@EventPattern` method of the app's controllers (for this transport), as the raw method
 * and its instance. Called synchronously by the consumer's batch loop: Nest's own wrapped
 * handler is asynchronous (guards, interceptors, pipes, an Observable per call), which would turn
 * every apply into several promises. Hence the limits, refused at start rather than ignored:
 * no @MessagePattern (a topic has no reply channel), no request-scoped controller (there is no
 * request), and guards/interceptors/pipes do not run on these handlers (see docs/consumers.md).
 */
export function discoverEventHandlers(modules: ModulesContainer, transportId: TransportId | undefined): EventHandler[] {
  const explorer = new ListenerMetadataExplorer(new MetadataScanner());
  const found: EventHandler[] = [];
  for (const module of modules.values()) {
    for (const wrapper of module.controllers.values()) {
      const instance: unknown = wrapper.instance;
      if (typeof instance !== 'object' || instance === null) continue;
      const name = wrapper.metatype?.name ?? 'a controller';
      for (const definition of explorer.explore(instance)) {
        if (definition.transport !== undefined && transportId !== undefined && definition.transport !== transportId) continue;
        const owner = `${name}.${definition.methodKey}`;
        if (!definition.isEventHandler) throw new Error(`${owner}: @MessagePattern has no reply channel on Kafka topics; declare it with @EventPattern`);
        if (!wrapper.isDependencyTreeStatic()) throw new Error(`${owner}: an event handler's controller must not be request-scoped (an event has no request)`);
        const method: (...args: unknown[]) => unknown = definition.targetCallback;
        const afterCommit = definition.extras?.['keyward'] === AFTER_COMMIT.keyward;
        for (const pattern of definition.patterns) {
          if (typeof pattern !== 'string') throw new Error(`${owner}: an event pattern is an event type (a string), not ${JSON.stringify(pattern)}`);
          found.push({ pattern, owner, afterCommit, method, instance });
        }
      }
    }
  }
  return found;
}
