import { randomUUID } from 'node:crypto';
import type { DomainEvent } from '@keyward/contracts';
import { testDatabase } from '@keyward/testing';
import { ConcurrencyError } from './errors';
import { migrateEventStoreLayout } from './migrate-layout';
import { MongoEventStore } from './mongo-event-store';

const inc = (by: number): DomainEvent<'Incremented', { by: number }> => ({ type: 'Incremented', schemaVersion: 1, data: { by } });
const stream = (id: string) => ({ aggregateId: id, aggregateType: 'Counter', accountId: 'acc_1' });

/** A store as the earlier layout wrote it: random `_id`s, a position counter, `published` flags, its indexes. */
async function legacyStore(db: Awaited<ReturnType<typeof testDatabase>>, name: string, streams: Record<string, number>, publishedUpTo: number) {
  const events = db.connection.collection(name);
  await events.createIndex({ aggregateId: 1, version: 1 }, { unique: true, name: 'stream_version' });
  await events.createIndex({ position: 1 }, { unique: true, name: 'position' });
  await events.createIndex({ published: 1, position: 1 }, { name: 'outbox' });
  let position = 0;
  const written: { id: string; aggregateId: string; version: number; published: boolean }[] = [];
  for (let v = 1; v <= Math.max(...Object.values(streams)); v++) {
    for (const [aggregateId, length] of Object.entries(streams)) {
      if (v > length) continue;
      position++;
      const id = randomUUID();
      const published = position <= publishedUpTo;
      await events.insertOne({
        _id: id as never, position, aggregateId, aggregateType: 'Counter', accountId: 'acc_1', version: v, type: 'Incremented', schemaVersion: 1,
        occurredAt: new Date('2026-02-01T00:00:00Z'), data: { by: v }, published, ...(published ? { publishedAt: new Date() } : {}),
      });
      written.push({ id, aggregateId, version: v, published });
    }
  }
  await db.connection.collection(`${name}_counters`).insertOne({ _id: 'position' as never, seq: position });
  return written;
}

describe('migrating an event store written by the earlier layout', () => {
  let db: Awaited<ReturnType<typeof testDatabase>>;

  beforeAll(async () => {
    db = await testDatabase('migrate_layout');
  });

  afterAll(async () => {
    await db.drop();
  });

  it('rewrites every event under its stream + version _id, keeps ids and data, and leaves the unpublished ones to the relay in order', async () => {
    const written = await legacyStore(db, 'events_a', { s1: 4, s2: 3, s3: 1 }, 5);
    const result = await migrateEventStoreLayout(db.connection, 'events_a');
    expect(result).toEqual({ migrated: 8, unpublished: 3, alreadyMigrated: 0 });

    const store = new MongoEventStore(db.connection, { now: () => new Date(), collection: 'events_a' });
    for (const id of ['s1', 's2', 's3']) {
      const events = await store.readStream(id);
      expect(events.map((e) => [e.id, e.version, e.data])).toEqual(written.filter((w) => w.aggregateId === id).map((w) => [w.id, w.version, { by: w.version }]));
    }
    const pending = await store.unpublished(100);
    expect(pending.map((e) => e.id).sort()).toEqual(written.filter((w) => !w.published).map((w) => w.id).sort());
    expect(pending.filter((e) => e.aggregateId === 's1').map((e) => e.version)).toEqual([3, 4]);
    expect(await db.connection.collection('events_a').countDocuments({ eventId: { $exists: false } })).toBe(0);
    expect(await db.connection.db?.listCollections({ name: 'events_a_counters' }).toArray()).toEqual([]);

    // The migrated store works: the next version appends, a stale one conflicts.
    await store.append(stream('s1'), 4, [inc(5)]);
    await expect(store.append(stream('s1'), 4, [inc(6)])).rejects.toBeInstanceOf(ConcurrencyError);
    expect((await store.readStream('s1')).map((e) => e.version)).toEqual([1, 2, 3, 4, 5]);
  });

  it('finishes a migration that crashed half-way when run again, losing nothing and duplicating nothing', async () => {
    const written = await legacyStore(db, 'events_b', { t1: 5, t2: 5 }, 4);
    const events = db.connection.collection('events_b');
    // The first run dies after a few events: one old document fails to be deleted.
    const deleteOne = events.deleteOne.bind(events);
    let deletes = 0;
    // The cast below: no one function type matches deleteOne's overloads, which jest's mock wants.
    jest.spyOn(events, 'deleteOne').mockImplementation(((filter: Parameters<typeof deleteOne>[0]) => {
      if (++deletes === 4) return Promise.reject(new Error('process killed'));
      return deleteOne(filter);
    }) as unknown as typeof events.deleteOne);
    await expect(migrateEventStoreLayout(db.connection, 'events_b')).rejects.toThrow('process killed');
    jest.restoreAllMocks();

    const again = await migrateEventStoreLayout(db.connection, 'events_b');
    // Events migrate eight at a time, so how many the first run finished varies; an event whose old
    // document survived the crash is counted on both sides. Each is stored once.
    expect(again.migrated).toBeGreaterThan(0);
    expect(again.migrated + again.alreadyMigrated).toBeGreaterThanOrEqual(10);
    expect(await events.countDocuments({})).toBe(10);
    const store = new MongoEventStore(db.connection, { now: () => new Date(), collection: 'events_b' });
    for (const id of ['t1', 't2']) {
      expect((await store.readStream(id)).map((e) => e.id)).toEqual(written.filter((w) => w.aggregateId === id).map((w) => w.id));
    }
    expect((await store.unpublished(100)).map((e) => e.id).sort()).toEqual(written.filter((w) => !w.published).map((w) => w.id).sort());
    expect(await migrateEventStoreLayout(db.connection, 'events_b')).toEqual({ migrated: 0, unpublished: 0, alreadyMigrated: 10 });
  });
});
