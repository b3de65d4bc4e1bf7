import type { DomainEvent } from '@keyward/contracts';
import { EventRegistry, integer, object, olderShape, text } from '@keyward/contracts';
import { testDatabase } from '@keyward/testing';
import { ConcurrencyError } from './errors';
import { MongoEventStore } from './mongo-event-store';
import type { StoredEvent, StoredEventDoc } from './stored-event';
import { eventKey } from './stored-event';

const COUNTER_EVENTS = new EventRegistry<{ Incremented: { by: number } }>('counters', { Incremented: { schemaVersion: 1, data: object({ by: integer(0) }) } });
const count = (s: number, e: StoredEvent): number => {
  const parsed = COUNTER_EVENTS.parseEnvelope(e);
  if (!parsed.ok) throw new Error(parsed.reason);
  return s + parsed.event.data.by;
};
const inc = (by: number): DomainEvent<'Incremented', { by: number }> => ({ type: 'Incremented', schemaVersion: 1, data: { by } });
const stream = (id: string) => ({ aggregateId: id, aggregateType: 'Counter', accountId: 'acc_1' });

describe('MongoEventStore on FerretDB', () => {
  let db: Awaited<ReturnType<typeof testDatabase>>;
  let store: MongoEventStore;

  beforeAll(async () => {
    db = await testDatabase('event_store');
    store = new MongoEventStore(db.connection, { now: () => new Date('2026-03-01T00:00:00Z') });
    await store.init();
  });

  afterAll(async () => {
    await db.drop();
  });

  it('appends with consecutive versions and folds the stream back into the aggregate', async () => {
    await store.append(stream('c1'), 0, [inc(1), inc(2)]);
    await store.append(stream('c1'), 2, [inc(3)]);
    const { state, version } = await store.load('c1', count, 0);
    expect(version).toBe(3);
    expect(state).toBe(6);
    const events = await store.readStream('c1');
    expect(events.map((e) => e.version)).toEqual([1, 2, 3]);
    expect(events.every((e) => e.accountId === 'acc_1' && e.aggregateId === 'c1' && typeof e.id === 'string')).toBe(true);
  });

  it('runs `alongside` once the markers are in, with the events, and fails the append with it while the event stays to be published', async () => {
    const seen: { versions: number[]; markers: number }[] = [];
    await store.append(stream('al1'), 0, [inc(1), inc(2)], {
      alongside: async (events) => {
        seen.push({ versions: events.map((e) => e.version), markers: await store.outbox.countDocuments({ _id: { $in: events.map((e) => eventKey(e.aggregateId, e.version)) } }) });
      },
    });
    expect(seen).toEqual([{ versions: [1, 2], markers: 2 }]);
    // A conflict on the markers claims nothing: `alongside` does not run.
    const calls: number[] = [];
    await expect(store.append(stream('al1'), 0, [inc(5)], { alongside: async (events) => { calls.push(events.length); } })).rejects.toBeInstanceOf(ConcurrencyError);
    expect(calls).toEqual([]);
    // Its failure fails the append; the event is stored (the marker is the claim) and stays in the outbox.
    await expect(store.append(stream('al2'), 0, [inc(3)], { alongside: () => Promise.reject(new Error('view write failed')) })).rejects.toThrow('view write failed');
    expect((await store.readStream('al2')).map((e) => e.version)).toEqual([1]);
    expect((await store.unpublished(500)).some((e) => e.aggregateId === 'al2')).toBe(true);
  });

  it('loads a stream that does not exist as version 0 and the initial state', async () => {
    const loaded = await store.load('missing', count, 0);
    expect(loaded).toEqual({ state: 0, version: 0 });
  });

  it('lets exactly one of two concurrent appends at the same version win; the loser gets a retriable conflict', async () => {
    await store.append(stream('race'), 0, [inc(1)]);
    const results = await Promise.allSettled([
      store.append(stream('race'), 1, [inc(10)]),
      store.append(stream('race'), 1, [inc(20)]),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]?.reason).toBeInstanceOf(ConcurrencyError);
    expect((lost[0]?.reason as ConcurrencyError).retriable).toBe(true);
    const versions = (await store.readStream('race')).map((e) => e.version);
    expect(versions).toEqual([1, 2]);
  });

  it('appends to many different streams at once without a false conflict, each event with its own position', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `parallel-${i}`);
    const results = await Promise.allSettled(ids.map((id) => store.append(stream(id), 0, [inc(1)])));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const positions = (await Promise.all(ids.map((id) => store.readStream(id)))).map((events) => events[0]!.position);
    expect(new Set(positions).size).toBe(ids.length);
  });

  it('lets concurrent first appends to a store that was never initialised all succeed', async () => {
    const fresh = new MongoEventStore(db.connection, { now: () => new Date(), collection: 'events_without_init' });
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => fresh.append(stream(`first-${i}`), 0, [inc(i)])));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
  });

  it('reads the whole store once, each stream in version order, for rebuilds and republishing', async () => {
    const fresh = new MongoEventStore(db.connection, { now: () => new Date(), collection: 'events_read_all' });
    await fresh.append(stream('a'), 0, [inc(1)]);
    await fresh.append(stream('b'), 0, [inc(2)]);
    await fresh.append(stream('a'), 1, [inc(3)]);
    const all = await everything(fresh);
    expect(all.map((e) => `${e.aggregateId}@${e.version}`)).toEqual(['a@1', 'b@1', 'a@2']);
    const positions = all.map((e) => e.position);
    expect([...positions].sort((x, y) => x - y)).toEqual(positions);
  });

  it('upcasts old event shapes on read without changing what is stored', async () => {
    const upcasting = new MongoEventStore(db.connection, {
      now: () => new Date(),
      registry: new EventRegistry<{ Incremented: { by: number; unit: string } }>('counters', {
        Incremented: { schemaVersion: 2, data: object({ by: integer(0), unit: text() }), older: { 1: olderShape(object({ by: integer(0) }), (d) => ({ ...d, unit: 'each' })) } },
      }),
    });
    const events = await upcasting.readStream('c1');
    expect(events[0]).toMatchObject({ schemaVersion: 2, data: { by: 1, unit: 'each' } });
    expect((await store.readStream('c1'))[0]).toMatchObject({ schemaVersion: 1, data: { by: 1 } });
  });

  it('lets one of two writers in different processes win the same version; the loser leaves no marker and is never published', async () => {
    const name = 'events_two_writers';
    const a = new MongoEventStore(db.connection, { now: () => new Date(), collection: name });
    const b = new MongoEventStore(db.connection, { now: () => new Date(), collection: name });
    await a.append(stream('duel'), 0, [inc(1)]);
    for (let round = 1; round <= 10; round++) {
      const results = await Promise.allSettled([a.append(stream('duel'), round, [inc(100 + round)]), b.append(stream('duel'), round, [inc(200 + round)])]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(lost?.reason).toBeInstanceOf(ConcurrencyError);
    }
    const events = await a.readStream('duel');
    expect(events.map((e) => e.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    // Exactly the winners wait in the outbox, in version order: no loser's marker survived.
    const pending = await a.unpublished(100);
    expect(pending.map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect(await a.countUnpublished()).toBe(11);
  });

  it('completes the append of a writer that died between its outbox marker and its event, once the marker is old', async () => {
    const name = 'events_orphan';
    let clock = new Date('2026-03-01T00:00:00Z');
    const dying = new MongoEventStore(db.connection, { now: () => clock, collection: name });
    const relaySide = new MongoEventStore(db.connection, { now: () => clock, collection: name, completeAfterMs: 10_000 });
    jest.spyOn(dying.events, 'insertMany').mockRejectedValueOnce(new Error('process killed'));
    await expect(dying.append(stream('orphan'), 0, [inc(7)])).rejects.toThrow('process killed');
    expect(await relaySide.readStream('orphan')).toEqual([]);
    // Young: the appender may still be on its way; nothing is published yet, nothing dropped.
    expect(await relaySide.unpublished(100)).toEqual([]);
    expect(await relaySide.countUnpublished()).toBe(1);
    clock = new Date(clock.getTime() + 10_001);
    const pending = await relaySide.unpublished(100);
    expect(pending.map((e) => `${e.aggregateId}@${e.version}`)).toEqual(['orphan@1']);
    expect((await relaySide.readStream('orphan')).map((e) => e.id)).toEqual(pending.map((e) => e.id));
  });

  it('answers success to a slow writer whose append the relay completed meanwhile', async () => {
    const name = 'events_slow_writer';
    const slow = new MongoEventStore(db.connection, { now: () => new Date(), collection: name });
    const relaySide = new MongoEventStore(db.connection, { now: () => new Date(), collection: name, completeAfterMs: 0 });
    const insertMany = slow.events.insertMany.bind(slow.events);
    // The cast below: no one function type matches insertMany's overloads, which jest's mock wants.
    jest.spyOn(slow.events, 'insertMany').mockImplementationOnce((async (docs: StoredEventDoc[]) => {
      // The relay meets the marker without its event and completes the append first.
      expect((await relaySide.unpublished(100)).map((e) => e.aggregateId)).toEqual(['slow']);
      return insertMany(docs, { ordered: true });
    }) as unknown as typeof slow.events.insertMany);
    const appended = await slow.append(stream('slow'), 0, [inc(1)]);
    expect((await slow.readStream('slow')).map((e) => e.id)).toEqual([appended.events[0]?.id]);
  });

  it('drops, without publishing, a marker a crashed loser left for a version another event holds', async () => {
    const name = 'events_loser_marker';
    const s = new MongoEventStore(db.connection, { now: () => new Date(), collection: name, completeAfterMs: 0 });
    const winner = await s.append(stream('contested'), 0, [inc(1)]);
    await s.markPublished(winner.events);
    // What a loser's append leaves when it dies right after its refused event insert.
    const [stored] = await s.events.find({}).toArray();
    await s.outbox.insertOne({ _id: stored!._id, at: 0, event: { ...stored!, eventId: 'the-loser', data: { by: 99 } } });
    expect(await s.unpublished(100)).toEqual([]);
    expect(await s.countUnpublished()).toBe(0);
    expect((await s.readStream('contested')).map((e) => e.id)).toEqual([winner.events[0]?.id]);
  });

  it('keeps every appended event unpublished until marked, in per-stream order', async () => {
    const pending = await store.unpublished(1000);
    expect(pending.length).toBe(await store.countUnpublished());
    expect(pending.filter((e) => e.aggregateId === 'c1').map((e) => e.version)).toEqual([1, 2, 3]);
    await store.markPublished(pending.slice(0, 2));
    expect(await store.countUnpublished()).toBe(pending.length - 2);
  });
});

async function everything(store: MongoEventStore): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for await (const batch of store.readAll(2)) out.push(...batch);
  return out;
}
