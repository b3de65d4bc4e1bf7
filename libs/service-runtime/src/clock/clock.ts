/** The time source. Injected everywhere so tests can move it; nothing calls `new Date()` for "now". */
export interface Clock {
  now(): Date;
}

export const CLOCK = Symbol('Clock');

export const systemClock: Clock = { now: () => new Date() };
