import type { Producer } from 'kafkajs';
import type { Connection } from 'mongoose';
import { KEY_EVENTS, KEYS_EVENTS_TOPIC } from '@keyward/contracts';
import { createIdempotentProducer, ensureTopics, eventTopic } from '@keyward/messaging';
import { IndexedProjection } from '@keyward/projections';
import type { TestKey } from '@keyward/testing';
import { testDatabase, testKafka, testKeyCreated, testName, waitFor } from '@keyward/testing';
import { authorize } from '../authorize/authorize';
import { KeyIndex } from './key-index';
import type { KeyView } from './key-view';

// The key projection's persist on the run's real Kafka and FerretDB: while events keep coming it
// writes its views and checkpoint at most every persistIntervalMs, not once per batch (each write is
// a database round trip, in every service, for every event), and a quiet topic is still persisted
// soon after its last event, so a restart reads on from there. A trailing persist that fails (the
// database refuses the checkpoint write) restarts the consumer from the checkpoint: nothing is skipped.

type KeyProjection = IndexedProjection<KeyView, KeyIndex>;
const BURST = 40;
// Longer than the production default: on a loaded machine one send-and-apply can take 200 ms, and the
// burst must still fit several batches into one interval.
const INTERVAL_MS = 1_000;

describe('key projection persist', () => {
  const kafka = testKafka();
  let db: { name: string; connection: Connection; drop(): Promise<void> };
  let producer: Producer;
  const running: KeyProjection[] = [];

  beforeAll(async () => {
    db = await testDatabase('keypersist');
    producer = createIdempotentProducer(kafka);
    await producer.connect();
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    for (const p of running.splice(0)) await p.stop();
  });

  afterAll(async () => {
    await producer.disconnect();
    await db.drop();
  });

  const quiet = { log: (): void => undefined, warn: (): void => undefined };

  function projection(prefix: string, persistIntervalMs = INTERVAL_MS, log: { log(m: string): void; warn(m: string): void } = quiet): KeyProjection {
    const p: KeyProjection = new IndexedProjection<KeyView, KeyIndex>(kafka, db.connection, {
      name: 'keys',
      topic: `${prefix}${KEYS_EVENTS_TOPIC}`,
      groupId: `${prefix}key-projection`,
      collection: `${prefix}key_projection_views`,
      createIndex: () => new KeyIndex(),
      parse: (value) => KEY_EVENTS.parse(value),
      maxStalenessMs: 30_000,
      itemNoun: 'keys',
      persistIntervalMs,
      log,
    });
    running.push(p);
    return p;
  }

  async function topic(prefix: string): Promise<string> {
    const name = `${prefix}${KEYS_EVENTS_TOPIC}`;
    const admin = kafka.admin();
    await admin.connect();
    try {
      await ensureTopics(admin, [eventTopic(name)]);
    } finally {
      await admin.disconnect();
    }
    return name;
  }

  const works = (p: KeyProjection, key: TestKey): boolean =>
    authorize(p.index, { token: key.secret, clientIp: '127.0.0.1', permission: 'devices:read', nowMs: Date.now() }).ok;

  /** The offsets in this projection's persisted checkpoint, summed over the partitions. */
  async function checkpointed(name: string): Promise<number> {
    const docs = await db.connection.collection<{ offset: string }>('projection_checkpoints').find({ topic: name }).toArray();
    return docs.reduce((sum, d) => sum + Number(d.offset), 0);
  }

  it(`writes ${BURST} batches that each apply at once in a few persists, and the last one within the interval after the burst`, async () => {
    const prefix = `${testName('persist')}.`;
    const name = await topic(prefix);
    const p = projection(prefix);
    await p.start();
    await waitFor('the projection to catch up', () => p.available().ok, { timeoutMs: 30_000 });
    // The collection object the projection writes its checkpoints through (mongoose keeps one per name).
    const checkpoints = db.connection.collection('projection_checkpoints');
    const writes = [jest.spyOn(checkpoints, 'bulkWrite'), jest.spyOn(checkpoints, 'replaceOne')];
    const startedAt = Date.now();
    const keys: TestKey[] = [];
    for (let i = 0; i < BURST; i++) {
      const { key, event } = testKeyCreated({ accountId: 'acc_persist', permissions: ['devices:read'] });
      keys.push(key);
      await producer.send({ topic: name, acks: -1, messages: [{ key: key.keyId, value: JSON.stringify(event) }] });
      // Applied before the next is sent: every event is a batch of its own, usable at once.
      await waitFor(`key ${i + 1} to be applied`, () => works(p, key), { timeoutMs: 10_000, intervalMs: 2 });
    }
    const burstMs = Date.now() - startedAt;
    const inBurst = writes.reduce((n, w) => n + w.mock.calls.length, 0);
    // One persist per interval (the first may come at once), not one per batch.
    expect(inBurst).toBeLessThanOrEqual(Math.ceil(burstMs / INTERVAL_MS) + 1);
    expect(inBurst).toBeLessThan(BURST / 2);
    // The trailing persist: the whole burst is in the checkpoint within the interval (and a margin) of the last event.
    await waitFor('the burst to be checkpointed', async () => (await checkpointed(name)) === BURST, { timeoutMs: INTERVAL_MS + 4_000, intervalMs: 20 });
    expect(await db.connection.collection(`${prefix}key_projection_views`).countDocuments({ accountId: 'acc_persist' })).toBe(BURST);
  });

  it('restarts from its checkpoint when a trailing persist fails, keeping every key usable, and persists it again', async () => {
    const prefix = `${testName('failpersist')}.`;
    const name = await topic(prefix);
    const warnings: string[] = [];
    // Long enough that the setup below fits in it on a loaded machine: the second key's persist is the trailing one.
    const trailingMs = 5_000;
    const p = projection(prefix, trailingMs, { log: () => undefined, warn: (m) => { warnings.push(m); } });
    await p.start();
    await waitFor('the projection to catch up', () => p.available().ok, { timeoutMs: 30_000 });
    const send = ({ key, event }: ReturnType<typeof testKeyCreated>) => producer.send({ topic: name, acks: -1, messages: [{ key: key.keyId, value: JSON.stringify(event) }] });
    const first = testKeyCreated({ accountId: 'acc_failpersist', permissions: ['devices:read'] });
    await send(first);
    await waitFor('the first key to be checkpointed', async () => (await checkpointed(name)) === 1, { timeoutMs: 10_000, intervalMs: 20 });
    // The database itself refuses the next checkpoint write: a unique index on (topic, partition,
    // offset) and blocker rows at offsets 1 and 2 of every partition but the first key's own row. The
    // second key's checkpoint is one of those: a duplicate key, whichever partition it lands on.
    const checkpoints = db.connection.collection<{ _id: string; topic: string; partition: number; offset: string }>('projection_checkpoints');
    const own = await checkpoints.find({ topic: name }).toArray();
    const blockers = [0, 1, 2].flatMap((partition) => ['1', '2'].map((offset) => ({ _id: `${prefix}blocker-${partition}-${offset}`, topic: name, partition, offset })))
      .filter((b) => !own.some((d) => d.partition === b.partition && d.offset === b.offset));
    await checkpoints.insertMany(blockers);
    const index = await checkpoints.createIndex({ topic: 1, partition: 1, offset: 1 }, { unique: true, name: `${prefix}refuse` });
    const ownCheckpoint = async (): Promise<number> => (await checkpoints.find({ topic: name }).toArray())
      .filter((d) => !d._id.startsWith(`${prefix}blocker`)).reduce((sum, d) => sum + Number(d.offset), 0);
    const second = testKeyCreated({ accountId: 'acc_failpersist', permissions: ['devices:read'] });
    await send(second);
    // Within the interval of the first persist: applied at once, persisted by the trailing timer.
    await waitFor('the second key to be applied', () => works(p, second.key), { timeoutMs: 10_000, intervalMs: 2 });
    await waitFor('the trailing persist to have failed and the consumer to restart', async () => (await p.status()).restarts >= 1, { timeoutMs: trailingMs + 10_000, intervalMs: 20 });
    // Usable throughout: the index in memory is kept; the restart re-reads from the checkpoint.
    expect([works(p, first.key), works(p, second.key)]).toEqual([true, true]);
    // The second key's checkpoint was refused: the first key's alone is there.
    expect(await ownCheckpoint()).toBe(1);
    // The database accepts the write again.
    await checkpoints.dropIndex(index);
    await checkpoints.deleteMany({ _id: { $in: blockers.map((b) => b._id) } });
    await waitFor('the second key to be checkpointed after the restart', async () => (await checkpointed(name)) === 2, { timeoutMs: trailingMs + 30_000, intervalMs: 20 });
    // FerretDB words the refusal by the path it took: an upsert's insert or an update.
    expect(warnings.filter((w) => w.includes('persist failed') && /E11000 duplicate key|UNIQUE constraint failed/.test(w)).length).toBeGreaterThanOrEqual(1);
    const status = await p.status();
    expect(status.restarts).toBeGreaterThanOrEqual(1);
    expect(status.items).toBe(2);
    expect(await db.connection.collection(`${prefix}key_projection_views`).countDocuments({ accountId: 'acc_failpersist' })).toBe(2);
  });

  it('persists what it applied when it stops, and a restart reads on from there with every key', async () => {
    const prefix = `${testName('stoppersist')}.`;
    const name = await topic(prefix);
    // An interval no test outlasts: after the first persist, only stop() writes.
    const p = projection(prefix, 600_000);
    await p.start();
    await waitFor('the projection to catch up', () => p.available().ok, { timeoutMs: 30_000 });
    const send = (batch: ReturnType<typeof testKeyCreated>[]) =>
      producer.send({ topic: name, acks: -1, messages: batch.map(({ key, event }) => ({ key: key.keyId, value: JSON.stringify(event) })) });
    const first = [testKeyCreated({ accountId: 'acc_stop', permissions: ['devices:read'] })];
    await send(first);
    await waitFor('the first batch to be checkpointed', async () => (await checkpointed(name)) === 1, { timeoutMs: 10_000, intervalMs: 20 });
    const rest = Array.from({ length: 5 }, () => testKeyCreated({ accountId: 'acc_stop', permissions: ['devices:read'] }));
    await send(rest);
    await waitFor('the keys to be applied', () => rest.every(({ key }) => works(p, key)), { timeoutMs: 10_000, intervalMs: 2 });
    // Applied, usable, not persisted yet: the interval has not passed.
    expect(await checkpointed(name)).toBe(1);
    await p.stop();
    expect(await checkpointed(name)).toBe(6);
    const again = projection(prefix);
    await again.start();
    await waitFor('the restarted projection to catch up', () => again.available().ok, { timeoutMs: 30_000 });
    expect([...first, ...rest].every(({ key }) => works(again, key))).toBe(true);
    const status = await again.status();
    // Nothing re-read: the checkpoint stop() wrote is where the restart began.
    expect(status.applied).toBe(0);
    expect(status.duplicates).toBe(0);
    expect(status.items).toBe(6);
  });
});
