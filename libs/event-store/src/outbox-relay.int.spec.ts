import type { Admin, Consumer, Producer, RecordMetadata } from 'kafkajs';
import { KafkaJSProtocolError } from 'kafkajs';
import type { DomainEvent, EventEnvelope } from '@keyward/contracts';
import { createIdempotentProducer, RenewableProducer } from '@keyward/messaging';
import { createTestTopic, testDatabase, testKafka, testName, waitFor } from '@keyward/testing';
import { MongoEventStore } from './mongo-event-store';
import { OutboxRelay } from './outbox-relay';

const inc = (by: number): DomainEvent<'Incremented', { by: number }> => ({ type: 'Incremented', schemaVersion: 1, data: { by } });
const stream = (id: string) => ({ aggregateId: id, aggregateType: 'Counter', accountId: 'acc_1' });

/** A relay's producer in a process that dies as it sends: nothing reaches the topic. */
class DiesBeforeSending extends RenewableProducer {
  override send(): Promise<RecordMetadata[]> {
    return Promise.reject(new Error('process killed'));
  }
}

describe('OutboxRelay: the event store is the outbox', () => {
  const kafka = testKafka();
  let admin: Admin;
  let producer: RenewableProducer;
  let db: Awaited<ReturnType<typeof testDatabase>>;
  const consumers: Consumer[] = [];
  const relays: OutboxRelay[] = [];

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    producer = new RenewableProducer(() => createIdempotentProducer(kafka));
    await producer.connect();
    db = await testDatabase('outbox');
  });

  afterAll(async () => {
    await Promise.all(relays.map((r) => r.stop()));
    await Promise.all(consumers.map((c) => c.disconnect()));
    await producer.disconnect();
    await admin.disconnect();
    await db.drop();
  });

  async function readTopic(topic: string): Promise<EventEnvelope[]> {
    const seen: EventEnvelope[] = [];
    const consumer = kafka.consumer({ groupId: testName('reader') });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => { seen.push(JSON.parse(String(message.value)) as EventEnvelope); } });
    return seen;
  }

  /** A store on a collection of its own in the test database. */
  async function newStore(collection = testName('events')): Promise<MongoEventStore> {
    const store = new MongoEventStore(db.connection, { now: () => new Date(), collection });
    await store.init();
    return store;
  }

  function relayFor(store: MongoEventStore, topic: string, extra: Partial<ConstructorParameters<typeof OutboxRelay>[3]> = {}) {
    // A one-minute poll: anything published within the test's bounds was published by the append's kick.
    const relay = new OutboxRelay(store, producer, db.connection, { topic, now: () => new Date(), pollIntervalMs: 60_000, ...extra });
    relays.push(relay);
    return relay;
  }

  it('publishes right after an append, without waiting for the polling interval, keyed by aggregate', async () => {
    const topic = await createTestTopic(admin, 'outbox_fast');
    const store = await newStore();
    const relay = relayFor(store, topic);
    relay.start();
    const seen = await readTopic(topic);
    await store.append(stream('k1'), 0, [inc(1)]);
    await store.append(stream('k1'), 1, [inc(2)]);
    await store.append(stream('k2'), 0, [inc(3)]);
    await waitFor('three events on the topic', () => seen.length >= 3, { timeoutMs: 15_000 });
    expect(seen.filter((e) => e.aggregateId === 'k1').map((e) => e.version)).toEqual([1, 2]);
    await waitFor('the relay to mark them published', async () => (await store.countUnpublished()) === 0);
    // Nothing store-internal leaks into the published envelope.
    expect(Object.keys(seen[0]!).sort()).toEqual(['accountId', 'aggregateId', 'data', 'id', 'occurredAt', 'schemaVersion', 'type', 'version']);
  });

  it('reads the lease once per cycle that publishes or claims its watermark, not before and after every step', async () => {
    const topic = await createTestTopic(admin, 'outbox_lease_reads');
    const store = await newStore();
    // The collection object the lease reads through (mongoose keeps one per name).
    const takeoverChecks = jest.spyOn(db.connection.collection('leases'), 'findOne');
    let drains = 0;
    const relay = relayFor(store, topic, { onDrained: async () => { drains++; } });
    relay.start();
    await waitFor('the first (empty) drain', () => drains >= 1, { timeoutMs: 15_000 });
    for (let i = 1; i <= 10; i++) {
      await store.append(stream(`lr${i}`), 0, [inc(i)]);
      await waitFor(`event ${i} published`, () => relay.status().published >= i, { timeoutMs: 15_000, intervalMs: 5 });
    }
    // And a cycle that reads the outbox and claims the watermark (as the poll's).
    relay.kick();
    await waitFor('the claim after a read of the outbox', () => drains >= 2, { timeoutMs: 15_000, intervalMs: 5 });
    // Each cycle fenced once: the read for the append's send, or the one before a watermark; 10 sends, 2 claims.
    expect(takeoverChecks.mock.calls.length).toBeLessThanOrEqual(10 + drains);
    expect(relay.status().published).toBe(10);
    takeoverChecks.mockRestore();
  });

  it('reads the lease fewer times than appends when eight come at once: appends that come together share a fence read', async () => {
    const topic = await createTestTopic(admin, 'outbox_shared_fence');
    const store = await newStore();
    const relay = relayFor(store, topic);
    relay.start();
    await relay.flush();
    const takeoverChecks = jest.spyOn(db.connection.collection('leases'), 'findOne');
    await Promise.all(Array.from({ length: 8 }, (_, i) => store.append(stream(`sf${i}`), 0, [inc(i)])));
    await waitFor('all eight published', () => relay.status().published >= 8, { timeoutMs: 15_000, intervalMs: 5 });
    expect(takeoverChecks.mock.calls.length).toBeLessThan(8);
    takeoverChecks.mockRestore();
  });

  it('sends an append that comes while its watermark is being claimed, without waiting for the claim', async () => {
    const topic = await createTestTopic(admin, 'outbox_claim_beside');
    const store = await newStore();
    // A watermark claim that hangs (a slow broker call) until the test lets it finish.
    let release = (): void => undefined;
    const held = new Promise<void>((r) => { release = r; });
    let claims = 0;
    const relay = relayFor(store, topic, { onDrained: async () => { claims++; await held; } });
    relay.start();
    await waitFor('the first (empty) drain to claim its watermark', () => claims >= 1, { timeoutMs: 15_000 });
    const seen = await readTopic(topic);
    await store.append(stream('wm1'), 0, [inc(1)]);
    await waitFor('the event on the topic while the claim still hangs', () => seen.length >= 1, { timeoutMs: 15_000 });
    await waitFor('the relay to mark it published', async () => (await store.countUnpublished()) === 0);
    // One claim at a time: the drain that published it claimed nothing while the first was under way.
    expect(claims).toBe(1);
    release();
    await relay.stop();
  });

  it('sends an append of its own process without waiting for its read of the outbox', async () => {
    const topic = await createTestTopic(admin, 'outbox_in_hand');
    const store = await newStore();
    const relay = relayFor(store, topic);
    relay.start();
    await relay.flush();
    const seen = await readTopic(topic);
    await store.append(stream('h1'), 0, [inc(1)]);
    await waitFor('h1@1 on the topic', () => seen.length >= 1, { timeoutMs: 15_000 });
    // Every read of the outbox hangs from now on (a slow database) until the test lets it go.
    let release = (): void => undefined;
    const held = new Promise<void>((r) => { release = r; });
    const realPending = store.pending.bind(store);
    store.pending = async (limit) => {
      await held;
      return realPending(limit);
    };
    // A stream this relay published the last version of, and a new one: both go out while the reads hang.
    await store.append(stream('h1'), 1, [inc(2)]);
    await store.append(stream('h2'), 0, [inc(3)]);
    await waitFor('h1@2 and h2@1 on the topic while the outbox reads hang', () => seen.length >= 3, { timeoutMs: 15_000 });
    release();
    await waitFor('the relay to mark them published', async () => (await store.countUnpublished()) === 0);
    expect(seen.map((e) => `${e.aggregateId}@${e.version}`)).toEqual(['h1@1', 'h1@2', 'h2@1']);
  });

  it('sends a version after an earlier one that another process appended and nobody published yet, never before it', async () => {
    const topic = await createTestTopic(admin, 'outbox_other_writer');
    const collection = testName('events');
    const store = await newStore(collection);
    const other = await newStore(collection);
    const relay = relayFor(store, topic);
    relay.start();
    const seen = await readTopic(topic);
    // The relay publishes o1@1 itself, then another instance (no relay of its own) appends o1@2 ...
    await store.append(stream('o1'), 0, [inc(1)]);
    await waitFor('o1@1 on the topic', () => seen.length >= 1, { timeoutMs: 15_000 });
    await other.append(stream('o1'), 1, [inc(2)]);
    // ... and this process appends o1@3 before the relay has read o1@2 from the outbox.
    await store.append(stream('o1'), 2, [inc(3)]);
    await waitFor('three events on the topic', () => seen.length >= 3, { timeoutMs: 15_000 });
    await relay.flush();
    expect(seen.map((e) => `${e.aggregateId}@${e.version}`)).toEqual(['o1@1', 'o1@2', 'o1@3']);
  });

  it('publishes on restart what a crash left unpublished between append and publish, in per-key order', async () => {
    const topic = await createTestTopic(admin, 'outbox_crash');
    const store = await newStore();
    // The "crashed" relay: it takes every batch and dies before sending it.
    const crashed = new OutboxRelay(store, new DiesBeforeSending(() => createIdempotentProducer(kafka)), db.connection, { topic, now: () => new Date(), pollIntervalMs: 60_000 });
    relays.push(crashed);
    crashed.start();
    for (let v = 0; v < 10; v++) await store.append(stream('p1'), v, [inc(v)]);
    for (let v = 0; v < 5; v++) await store.append(stream('p2'), v, [inc(v)]);
    await crashed.stop();
    expect(await store.countUnpublished()).toBe(15);

    const seen = await readTopic(topic);
    const restarted = relayFor(store, topic);
    restarted.start();
    await waitFor('all 15 events after the restart', () => seen.length >= 15, { timeoutMs: 15_000 });
    expect(seen.filter((e) => e.aggregateId === 'p1').map((e) => e.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(seen.filter((e) => e.aggregateId === 'p2').map((e) => e.version)).toEqual([1, 2, 3, 4, 5]);
    await waitFor('the relay to mark them published', async () => (await store.countUnpublished()) === 0);
  });

  it('republishes a batch sent but not marked before a crash: duplicates, never loss', async () => {
    const topic = await createTestTopic(admin, 'outbox_dup');
    const store = await newStore();
    let failMarking = true;
    const realMark = store.markPublished.bind(store);
    store.markPublished = async (ids) => {
      if (failMarking) throw new Error('crashed after publish, before marking');
      return realMark(ids);
    };
    const relay = relayFor(store, topic);
    relay.start();
    const seen = await readTopic(topic);
    await store.append(stream('d1'), 0, [inc(1)]);
    await waitFor('the first (unmarked) publish', () => seen.length >= 1);
    failMarking = false;
    relay.kick();
    await waitFor('the republished duplicate', () => seen.length >= 2);
    await relay.flush();
    expect(seen.map((e) => `${e.aggregateId}@${e.version}`)).toEqual(['d1@1', 'd1@1']);
    expect(await store.countUnpublished()).toBe(0);
  });

  it('publishes again after the broker refuses its producer id: the relay takes a new producer, not the same one reconnected', async () => {
    const topic = await createTestTopic(admin, 'outbox_stale_id');
    const store = await newStore();
    // The first producer is real and connected, but the broker (as after a restart, or a send that
    // timed out at the client after it was appended) answers its every send "out of order sequence";
    // kafkajs keeps that id across disconnect/connect, so only a new producer publishes again.
    const created: Producer[] = [];
    const renewable = new RenewableProducer(() => {
      const real = createIdempotentProducer(kafka);
      const producer: Producer = created.length > 0 ? real : { ...real, send: async () => { throw outOfOrderSequence(); } };
      created.push(producer);
      return producer;
    });
    await renewable.connect();
    const relay = new OutboxRelay(store, renewable, db.connection, { topic, now: () => new Date(), pollIntervalMs: 200 });
    relays.push(relay);
    relay.start();
    const seen = await readTopic(topic);
    await store.append(stream('s1'), 0, [inc(1)]);
    await store.append(stream('s1'), 1, [inc(2)]);
    await waitFor('both events on the topic', () => seen.length >= 2, { timeoutMs: 20_000 });
    await relay.flush();
    expect({ onTopic: seen.map((e) => `${e.aggregateId}@${e.version}`), producers: created.length, renewals: renewable.renewed(), unpublished: await store.countUnpublished() })
      .toEqual({ onTopic: ['s1@1', 's1@2'], producers: 2, renewals: 1, unpublished: 0 });
    await relay.stop();
    await renewable.disconnect();
  });
});

/** What kafkajs throws when the broker answers a produce with OUT_OF_ORDER_SEQUENCE_NUMBER (code 45). */
function outOfOrderSequence(): KafkaJSProtocolError {
  const shape = Object.assign(new Error('The broker received an out of order sequence number'), { type: 'OUT_OF_ORDER_SEQUENCE_NUMBER', code: 45, retriable: false });
  return new KafkaJSProtocolError(shape);
}
