import type { DomainEvent, EventEnvelope } from '@keyward/contracts';
import { testDatabase } from '@keyward/testing';
import { ConcurrencyError } from './errors';
import { MongoEventStore } from './mongo-event-store';

type CounterEvent = EventEnvelope<'Incremented', { by: number }>;
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
    const { state, version } = await store.load<number, CounterEvent>('c1', (s, e) => s + e.data.by, 0);
    expect(version).toBe(3);
    expect(state).toBe(6);
    const events = await store.readStream('c1');
    expect(events.map((e) => e.version)).toEqual([1, 2, 3]);
    expect(events.every((e) => e.accountId === 'acc_1' && e.aggregateId === 'c1' && typeof e.id === 'string')).toBe(true);
  });

  it('loads a stream that does not exist as version 0 and the initial state', async () => {
    const loaded = await store.load<number, CounterEvent>('missing', (s, e) => s + e.data.by, 0);
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

  it('lets concurrent first appends to a store whose position counter does not exist yet all succeed', async () => {
    // No init(): nothing has created the counter, so the first increments race to create it.
    const fresh = new MongoEventStore(db.connection, { now: () => new Date(), collection: 'events_without_init' });
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => fresh.append(stream(`first-${i}`), 0, [inc(i)])));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
  });

  it('reads every stream in append order from a position, for republishing and replay', async () => {
    const start = await store.lastPosition();
    await store.append(stream('a'), 0, [inc(1)]);
    await store.append(stream('b'), 0, [inc(2)]);
    await store.append(stream('a'), 1, [inc(3)]);
    const all = await store.readAll(start, 100);
    expect(all.map((e) => `${e.aggregateId}@${e.version}`)).toEqual(['a@1', 'b@1', 'a@2']);
    const positions = all.map((e) => e.position);
    expect([...positions].sort((x, y) => x - y)).toEqual(positions);
    expect(await store.readAll(all[1]!.position, 100)).toHaveLength(1);
  });

  it('upcasts old event shapes on read without changing what is stored', async () => {
    const upcasting = new MongoEventStore(db.connection, {
      now: () => new Date(),
      upcasters: { Incremented: (e) => (e.schemaVersion === 1 ? { ...e, schemaVersion: 2, data: { by: (e.data as { by: number }).by, unit: 'each' } } : e) },
    });
    const events = await upcasting.readStream('c1');
    expect(events[0]).toMatchObject({ schemaVersion: 2, data: { by: 1, unit: 'each' } });
    expect((await store.readStream('c1'))[0]).toMatchObject({ schemaVersion: 1, data: { by: 1 } });
  });

  it('keeps every appended event unpublished until marked, in append order', async () => {
    const pending = await store.unpublished(1000);
    expect(pending.length).toBe(await store.countUnpublished());
    await store.markPublished(pending.slice(0, 2).map((e) => e.id));
    expect(await store.countUnpublished()).toBe(pending.length - 2);
  });
});
