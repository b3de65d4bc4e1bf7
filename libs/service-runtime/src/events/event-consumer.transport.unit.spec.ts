import 'reflect-metadata';
import type { INestApplication, Type } from '@nestjs/common';
import { Controller, Logger, Module } from '@nestjs/common';
import { ModulesContainer, NestFactory } from '@nestjs/core';
import type { CustomStrategy } from '@nestjs/microservices';
import { EventPattern, MessagePattern } from '@nestjs/microservices';
import type { EventEnvelope } from '@keyward/contracts';
import type { ApplyOutcome, ConsumerView, EventConsumer, EventDispatch } from './event-consumers';
import { EventConsumers } from './event-consumers';
import { EventConsumerTransport, UnhandledEvent } from './event-consumer.transport';
import { AFTER_COMMIT } from './event-handlers';

/** An index that applies each aggregate's events once, by version (as ProjectionIndex does). */
class VersionIndex {
  readonly versions = new Map<string, number>();

  apply(event: EventEnvelope): ApplyOutcome {
    if (event.version <= (this.versions.get(event.aggregateId) ?? 0)) return 'duplicate';
    this.versions.set(event.aggregateId, event.version);
    return 'applied';
  }
}

/** An in-memory EventConsumer: records what the transport did with it, in order. */
class FakeConsumer implements EventConsumer {
  dispatch: EventDispatch | undefined;
  readonly calls: string[] = [];
  private readonly listeners: ((view: ConsumerView) => void)[] = [];

  constructor(readonly name: string, readonly eventTypes: readonly string[], readonly index: VersionIndex = new VersionIndex()) {}

  dispatchThrough(dispatch: EventDispatch): void {
    this.calls.push('bound');
    this.dispatch = dispatch;
  }

  onChange(listener: (view: ConsumerView) => void): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    this.calls.push('started');
  }

  async stop(): Promise<void> {
    this.calls.push('stopped');
  }

  /** What IndexedProjection's batch loop does per parsed event. */
  read(event: EventEnvelope, state: VersionIndex = this.index): ApplyOutcome {
    if (!this.dispatch) throw new Error('not bound');
    return this.dispatch(event, state);
  }

  /**
   * What IndexedProjection does after a persist and commit: reports the view as it was when the
   * persist took it (by default, as the index has it now).
   */
  persisted(id: string, version = this.index.versions.get(id) ?? 0): void {
    for (const l of this.listeners) l({ id, version });
  }
}

/** What the usage projector's BatchConsumer is to the transport: no state between batches, no views to report. */
class FakeBatchConsumer implements EventConsumer {
  dispatch: EventDispatch | undefined;
  readonly calls: string[] = [];

  constructor(readonly name: string, readonly eventTypes: readonly string[]) {}

  dispatchThrough(dispatch: EventDispatch): void {
    this.calls.push('bound');
    this.dispatch = dispatch;
  }

  async start(): Promise<void> {
    this.calls.push('started');
  }

  async stop(): Promise<void> {
    this.calls.push('stopped');
  }

  /** What BatchConsumer's batch loop does: every parsed event of a batch into one fresh accumulator. */
  readBatch(events: readonly EventEnvelope[]): { batch: Tally; outcomes: ApplyOutcome[] } {
    const dispatch = this.dispatch;
    if (!dispatch) throw new Error('not bound');
    const batch = new Tally();
    return { batch, outcomes: events.map((e) => dispatch(e, batch)) };
  }
}

/** A per-batch accumulator, as UsageBatch is. */
class Tally {
  readonly events: EventEnvelope[] = [];
}

function event(type: string, aggregateId: string, version: number): EventEnvelope {
  return { id: `evt_${aggregateId}_${version}`, type, schemaVersion: 1, aggregateId, accountId: 'acc_01', version, occurredAt: '2026-12-02T03:00:00.000Z', data: {} };
}

const received: { event: EventEnvelope; state: unknown }[] = [];
const reactions: { type: string; view: unknown }[] = [];

@Controller()
class ThingEvents {
  @EventPattern(['ThingCreated', 'ThingRenamed'])
  thingChanged(e: EventEnvelope, things: VersionIndex): ApplyOutcome {
    received.push({ event: e, state: things });
    return things.apply(e);
  }
}

@Controller()
class ThingReactions {
  @EventPattern(['ThingCreated'], AFTER_COMMIT)
  thingPersisted(e: EventEnvelope, view: { readonly id: string }): void {
    reactions.push({ type: e.type, view });
  }
}

const followed: { type: string; version: number; view: ConsumerView }[] = [];

@Controller()
class FollowsThings {
  @EventPattern(['ThingCreated', 'ThingRenamed'], AFTER_COMMIT)
  thingMoved(e: EventEnvelope, view: ConsumerView): void {
    followed.push({ type: e.type, version: e.version, view });
  }
}

@Controller()
class AlsoAppliesThingCreated {
  @EventPattern('ThingCreated')
  again(e: EventEnvelope, things: VersionIndex): ApplyOutcome {
    return things.apply(e);
  }
}

@Controller()
class AnswersRequests {
  @MessagePattern('ThingCreated')
  answer(): string {
    return 'no';
  }
}

@Controller()
class ReturnsNothing {
  @EventPattern('ThingCreated')
  forgot(): void {
    return undefined;
  }
}

@Controller()
class TallyEvents {
  @EventPattern('ThingCounted')
  counted(e: EventEnvelope, tally: Tally): ApplyOutcome {
    tally.events.push(e);
    return 'applied';
  }
}

@Controller()
class ReactsToCounted {
  @EventPattern('ThingCounted', AFTER_COMMIT)
  afterCounted(): void {
    return undefined;
  }
}

const apps: INestApplication[] = [];

async function hybrid(controllers: Type<unknown>[], consumers: EventConsumer[]): Promise<INestApplication> {
  @Module({ controllers, providers: [EventConsumers] })
  class AppModule {}
  const app = await NestFactory.create(AppModule, { logger: false });
  apps.push(app);
  const registry = app.get(EventConsumers);
  for (const c of consumers) registry.register(c);
  app.connectMicroservice<CustomStrategy>({ strategy: new EventConsumerTransport(registry, app.get(ModulesContainer)) });
  await app.startAllMicroservices();
  return app;
}

afterEach(async () => {
  received.length = 0;
  reactions.length = 0;
  followed.length = 0;
  jest.restoreAllMocks();
  for (const app of apps.splice(0)) await app.close();
});

describe('EventConsumerTransport', () => {
  it('binds the @EventPattern handler before it starts the consumer, and stops it on close', async () => {
    const things = new FakeConsumer('things', ['ThingCreated', 'ThingRenamed']);
    const app = await hybrid([ThingEvents], [things]);
    expect(things.calls).toEqual(['bound', 'started']);
    await app.close();
    apps.length = 0;
    expect(things.calls).toEqual(['bound', 'started', 'stopped']);
  });

  it('hands the handler the parsed event and the state it is applied to, and answers its outcome', async () => {
    const things = new FakeConsumer('things', ['ThingCreated', 'ThingRenamed']);
    await hybrid([ThingEvents], [things]);
    const created = event('ThingCreated', 'thing_1', 1);
    expect(things.read(created)).toBe('applied');
    expect(things.read(created)).toBe('duplicate');
    expect(things.read(event('ThingRenamed', 'thing_1', 2))).toBe('applied');
    expect(received).toHaveLength(3);
    expect(received[0]).toEqual({ event: created, state: things.index });
    // A rebuild reads into a fresh state: the same handler applies to that one.
    const fresh = new VersionIndex();
    expect(things.read(created, fresh)).toBe('applied');
    expect(received[3]?.state).toBe(fresh);
  });

  it('refuses an event of a type no handler applies (the consumer dead-letters it), and says so at start', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const things = new FakeConsumer('things', ['ThingCreated', 'ThingRenamed', 'ThingRemoved']);
    await hybrid([ThingEvents], [things]);
    expect(warn).toHaveBeenCalledWith('things: no @EventPattern handler for ThingRemoved; such events go to the dead letters');
    expect(() => things.read(event('ThingRemoved', 'thing_1', 3))).toThrow(UnhandledEvent);
    expect(() => things.read(event('ThingRemoved', 'thing_1', 3))).toThrow("no @EventPattern('ThingRemoved') handler applies it to the things projection");
    expect(things.index.versions.get('thing_1')).toBeUndefined();
  });

  it('refuses what a handler returns when it is not an apply outcome', async () => {
    const things = new FakeConsumer('things', ['ThingCreated']);
    await hybrid([ReturnsNothing], [things]);
    expect(() => things.read(event('ThingCreated', 'thing_1', 1))).toThrow('the ThingCreated handler of things returned undefined, not an apply outcome');
  });

  it('runs an AFTER_COMMIT reaction only once the view is persisted, once per aggregate, and not for a rebuild', async () => {
    const things = new FakeConsumer('things', ['ThingCreated', 'ThingRenamed']);
    await hybrid([ThingEvents, ThingReactions], [things]);
    things.read(event('ThingCreated', 'thing_1', 1));
    things.read(event('ThingCreated', 'thing_1', 1));
    things.read(event('ThingRenamed', 'thing_2', 1));
    things.read(event('ThingCreated', 'thing_3', 1), new VersionIndex());
    expect(reactions).toEqual([]);
    things.persisted('thing_1');
    things.persisted('thing_1');
    things.persisted('thing_2');
    things.persisted('thing_3');
    expect(reactions).toEqual([{ type: 'ThingCreated', view: { id: 'thing_1', version: 1 } }]);
  });

  it('runs a reaction with a view that has its event, not with one whose persist began before the event was applied', async () => {
    const things = new FakeConsumer('things', ['ThingCreated', 'ThingRenamed']);
    await hybrid([ThingEvents, FollowsThings], [things]);
    things.read(event('ThingCreated', 'thing_1', 1));
    // A persist takes the view at version 1; while it is under way, version 2 is applied.
    things.read(event('ThingRenamed', 'thing_1', 2));
    things.persisted('thing_1', 1);
    expect(followed).toEqual([]);
    // The next persist writes version 2: the reaction to it runs then, once, with that view.
    things.persisted('thing_1', 2);
    things.persisted('thing_1', 2);
    expect(followed).toEqual([{ type: 'ThingRenamed', version: 2, view: { id: 'thing_1', version: 2 } }]);
  });

  it('hands a consumer without a state of its own each event with the accumulator it passes (one per batch), beside an indexed consumer', async () => {
    const things = new FakeConsumer('things', ['ThingCreated', 'ThingRenamed']);
    const tallies = new FakeBatchConsumer('tallies', ['ThingCounted']);
    await hybrid([ThingEvents, TallyEvents], [things, tallies]);
    expect(tallies.calls).toEqual(['bound', 'started']);
    const first = [event('ThingCounted', 'thing_1', 1), event('ThingCounted', 'thing_2', 1)];
    const one = tallies.readBatch(first);
    expect(one.outcomes).toEqual(['applied', 'applied']);
    expect(one.batch.events).toEqual(first);
    const two = tallies.readBatch([event('ThingCounted', 'thing_1', 2)]);
    expect(two.batch.events.map((e) => e.version)).toEqual([2]);
    expect(one.batch.events).toHaveLength(2);
    // Its types are not the indexed consumer's: each dispatch knows only its own consumer's handlers.
    expect(() => tallies.readBatch([event('ThingCreated', 'thing_1', 1)])).toThrow(UnhandledEvent);
    expect(things.index.versions.size).toBe(0);
  });

  it('fails the start on an AFTER_COMMIT reaction to a type only a consumer without views reads (it would never run)', async () => {
    const tallies = new FakeBatchConsumer('tallies', ['ThingCounted']);
    await expect(hybrid([TallyEvents, ReactsToCounted], [tallies]))
      .rejects.toThrow('ReactsToCounted.afterCounted: the consumers of ThingCounted events report no persisted views, so an AFTER_COMMIT reaction to them would never run');
    expect(tallies.calls).not.toContain('started');
  });

  it.each([
    ['two apply handlers for one type', [ThingEvents, AlsoAppliesThingCreated], ['ThingCreated', 'ThingRenamed'], 'ThingCreated has two apply handlers'],
    ['a handler of a type no consumer reads', [ThingEvents], ['ThingCreated'], 'ThingEvents.thingChanged: no event consumer of this service reads ThingRenamed events'],
    ['a @MessagePattern', [AnswersRequests], ['ThingCreated'], 'AnswersRequests.answer: @MessagePattern has no reply channel'],
  ])('fails the start on %s', async (_what, controllers, types, message) => {
    const things = new FakeConsumer('things', types);
    await expect(hybrid(controllers, [things])).rejects.toThrow(message);
    expect(things.calls).not.toContain('started');
  });
});
