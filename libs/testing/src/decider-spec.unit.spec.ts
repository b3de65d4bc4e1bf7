import type { Command, EnvelopeOf } from '@keyward/contracts';
import { EventRegistry, integer, object, RuleViolation } from '@keyward/contracts';
import { deciderSpec, thrownBy } from './decider-spec';

// A counter: the smallest decider with a rule, a no-op and a fold that records when it happened.
interface CounterEvents { Incremented: { by: number } }
const COUNTER_EVENTS = new EventRegistry<CounterEvents>('counters', { Incremented: { schemaVersion: 1, data: object({ by: integer(1, 10) }) } });
type CounterEvent = EnvelopeOf<CounterEvents>;
type Increment = Command<'Increment', { by: number }>;
interface Counter { readonly total: number; readonly version: number; readonly at: string | null }

class CounterViolation extends RuleViolation {}

const counter = {
  events: COUNTER_EVENTS,
  initialState: (): Counter => ({ total: 0, version: 0, at: null }),
  evolve: (s: Counter, e: CounterEvent): Counter => ({ total: s.total + e.data.by, version: e.version, at: e.occurredAt }),
  decide: (c: Increment, s: Counter) => {
    if (c.data.by < 0) throw new CounterViolation('negative', 'invalid', 'a counter only grows');
    if (s.total + c.data.by > 100) throw new CounterViolation('too_high', 'conflict', 'at most 100');
    return c.data.by === 0 ? [] : [{ type: 'Incremented' as const, schemaVersion: 1, data: { by: c.data.by } }];
  },
};
const NOW = new Date('2027-01-01T00:00:00.000Z');
const spec = deciderSpec(counter, { aggregateId: 'c_1', accountId: 'acc_1', now: NOW, versionOf: (s) => s.version });
const inc = (by: number): Increment => ({ type: 'Increment', data: { by } });
const incremented = (by: number) => ({ type: 'Incremented' as const, schemaVersion: 1, data: { by } });

describe('deciderSpec', () => {
  it('folds the given events, asserts the decided ones and returns the state they fold into', () => {
    const state = spec.given([incremented(2), incremented(3)]).when(inc(4)).then([incremented(4)]);
    expect(state).toEqual({ total: 9, version: 3, at: NOW.toISOString() });
  });

  it('fails when other events were decided', () => {
    expect(() => spec.given().when(inc(4)).then([incremented(5)])).toThrow();
    expect(() => spec.given().when(inc(4)).thenNothing()).toThrow();
    expect(() => spec.given().when(inc(0)).thenNothing()).not.toThrow();
  });

  it('asserts a refusal by class and code, and returns it', () => {
    const refused = spec.given([incremented(10)]).when(inc(95)).thenThrows(CounterViolation, 'too_high');
    expect(refused.kind).toBe('conflict');
    expect(() => spec.given([incremented(10)]).when(inc(95)).thenThrows(CounterViolation, 'negative')).toThrow();
    expect(() => spec.given().when(inc(1)).thenThrows(CounterViolation)).toThrow('expected a CounterViolation, but nothing was thrown');
  });

  it('rethrows an error of another class than the one expected', () => {
    expect(() => thrownBy(CounterViolation, () => { throw new TypeError('boom'); })).toThrow(TypeError);
  });

  it('reads every event through the topic registry, so a decided event the contract refuses fails the spec', () => {
    expect(() => spec.given().when(inc(50)).then([incremented(50)])).toThrow(/does not read as an event of its topic: Incremented v1: data.by/);
  });

  it('numbers events after the state\'s version and dates them per version when asked', () => {
    const later = (v: number): Date => new Date(NOW.getTime() + v * 1000);
    expect(spec.after([inc(1), inc(0), inc(2)], later)).toEqual({ total: 3, version: 2, at: later(2).toISOString() });
    expect(spec.run(spec.given([incremented(1)]).state, inc(2))).toEqual({ total: 3, version: 2, at: NOW.toISOString() });
    expect(spec.givenState({ total: 7, version: 4, at: null }).when(inc(1)).then([incremented(1)])).toMatchObject({ total: 8, version: 5 });
  });

  it('gives the decided events for assertions of the caller\'s own', () => {
    expect(spec.given().when(inc(3)).events).toHaveLength(1);
  });
});
