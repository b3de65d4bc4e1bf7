import type { DecidedEvent, EventEnvelope, EventReader } from '@keyward/contracts';

/** A decider as a domain exports it (emmett style): the pieces an AggregateDefinition is made of. */
export interface Decider<S, C, E extends EventEnvelope> {
  decide(command: C, state: S, now: Date): readonly DecidedEvent<E>[];
  evolve(state: S, event: E): S;
  initialState(): S;
  /** The topic's event registry: decided events are wrapped and read by it, as the event store does. */
  readonly events: EventReader<E>;
}

export interface DeciderSpecOptions<S> {
  readonly aggregateId: string;
  readonly accountId: string;
  /** The instant commands are decided at and events occur at, unless a step names another. */
  readonly now: Date;
  /** The version the state reflects (0 for the initial state): the next event's version follows it. */
  readonly versionOf: (state: S) => number;
}

/** When an event occurred: one instant for all, or one per version. */
export type Instant = Date | ((version: number) => Date);

/** A constructor of the error a refused command throws (a RuleViolation subclass). */
export type ErrorClass<T extends Error> = abstract new (...args: never[]) => T;

/**
 * The error `fn` throws, when it is a `T`: anything else thrown is rethrown, and nothing thrown
 * fails the spec.
 */
export function thrownBy<T extends Error>(errorClass: ErrorClass<T>, fn: () => unknown): T {
  try {
    fn();
  } catch (e) {
    if (e instanceof errorClass) return e;
    throw e;
  }
  throw new Error(`expected a ${errorClass.name}, but nothing was thrown`);
}

/** After `when`: what the command decided, asserted one way or another. */
export interface Then<S, E extends EventEnvelope> {
  /** The events decided, for assertions of their own. */
  readonly events: readonly DecidedEvent<E>[];
  /** Asserts exactly these events were decided; returns the state they fold into. */
  then(expected: readonly DecidedEvent<E>[]): S;
  /** Asserts the command changes nothing (no event). */
  thenNothing(): void;
  /** Asserts the command was refused with a `T` (and `code`, when given); returns the refusal for more assertions. */
  thenThrows<T extends Error & { readonly code?: string }>(errorClass: ErrorClass<T>, code?: string): T;
}

/** Before `when`: the state the command meets. */
export interface Given<S, C, E extends EventEnvelope> {
  readonly state: S;
  when(command: C, at?: Date): Then<S, E>;
}

/**
 * Given/when/then for a pure decider (emmett's DeciderSpecification): `given` past events (or a
 * state), `when` a command, `then` the events it decides or `thenThrows` the refusal. Events are
 * wrapped in envelopes and read by the topic's registry exactly as the event store records
 * them, so a decided event the contract would refuse fails the spec.
 */
export class DeciderSpec<S, C, E extends EventEnvelope> {
  constructor(private readonly decider: Decider<S, C, E>, private readonly options: DeciderSpecOptions<S>) {}

  /** Decided events as the store records them, folded into `state`. */
  fold(state: S, events: readonly DecidedEvent<E>[], at: Instant = this.options.now): S {
    let next = state;
    for (const event of events) {
      const version = this.options.versionOf(next) + 1;
      const occurredAt = (typeof at === 'function' ? at(version) : at).toISOString();
      const read = this.decider.events.parseEnvelope({
        ...event, id: `evt_${version}`, aggregateId: this.options.aggregateId, accountId: this.options.accountId, version, occurredAt,
      });
      if (!read.ok) throw new Error(`the decided ${event.type} does not read as an event of its topic: ${read.reason}`);
      next = this.decider.evolve(next, read.event);
    }
    return next;
  }

  /** Decides `command` on `state` and folds what it decided. */
  run(state: S, command: C, at: Date = this.options.now): S {
    return this.fold(state, this.decider.decide(command, state, at), at);
  }

  /** The state after running `commands` one after another from the initial state. */
  after(commands: readonly C[], at: Instant = this.options.now): S {
    let state = this.decider.initialState();
    for (const c of commands) {
      const decidedAt = typeof at === 'function' ? at(this.options.versionOf(state) + 1) : at;
      state = this.fold(state, this.decider.decide(c, state, decidedAt), at);
    }
    return state;
  }

  /** Past events of the aggregate (none: it does not exist yet). */
  given(events: readonly DecidedEvent<E>[] = [], at: Instant = this.options.now): Given<S, C, E> {
    return this.givenState(this.fold(this.decider.initialState(), events, at));
  }

  /** The aggregate as already folded (a fixture's state). */
  givenState(state: S): Given<S, C, E> {
    return { state, when: (command, at = this.options.now) => this.when(state, command, at) };
  }

  private when(state: S, command: C, at: Date): Then<S, E> {
    const decide = (): readonly DecidedEvent<E>[] => this.decider.decide(command, state, at);
    let decided: readonly DecidedEvent<E>[] | undefined;
    const events = (): readonly DecidedEvent<E>[] => (decided ??= decide());
    return {
      get events() {
        return events();
      },
      then: (expected) => {
        expect(events()).toEqual(expected);
        return this.fold(state, events(), at);
      },
      thenNothing: () => {
        expect(events()).toEqual([]);
      },
      thenThrows: (errorClass, code) => {
        const refused = thrownBy(errorClass, decide);
        if (code !== undefined) expect(refused.code).toBe(code);
        return refused;
      },
    };
  }
}

/** A DeciderSpec of a domain's decider, over one aggregate of one account. */
export function deciderSpec<S, C, E extends EventEnvelope>(decider: Decider<S, C, E>, options: DeciderSpecOptions<S>): DeciderSpec<S, C, E> {
  return new DeciderSpec(decider, options);
}
