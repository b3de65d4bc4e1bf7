import type { EventEnvelope } from './event-envelope';

/**
 * The guards every aggregate's `evolve` runs. A stored stream that breaks its aggregate's own
 * rules (an event before the creating one, a second creating one, a type this code does not
 * know) is corrupt: folding on would guess at the state, so evolve throws and the command or
 * rebuild that read it fails loudly instead.
 */
type Located = Pick<EventEnvelope, 'type' | 'version' | 'aggregateId'>;

/** The creating event (`DeviceRegistered`, `KeyCreated`, …) may only begin the stream. */
export function assertStreamStart<S>(state: S | null, event: Located, noun: string): asserts state is null {
  if (state !== null) throw new Error(`${event.type} (version ${event.version}) for ${noun} ${event.aggregateId}, which already exists`);
}

/** Every other event needs the aggregate to exist; `created` is how its creation reads ("created", "registered"). */
export function assertStreamStarted<S>(state: S | null, event: Located, noun: string, created = 'created'): asserts state is S {
  if (state === null) throw new Error(`${event.type} (version ${event.version}) for ${noun} ${event.aggregateId}, which was never ${created}`);
}

/** The `default:` of evolve's switch: unreachable by the types, thrown for a stored type no case knows. */
export function unhandledEvent(noun: string, event: never): never {
  const type: unknown = (event as { type?: unknown } | null)?.type;
  throw new Error(`unhandled ${noun} event ${String(type)}`);
}
