import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import type { Connection } from 'mongoose';
import type { KeyEventEnvelope } from '@keyward/contracts';
import { KEY_EVENTS, KEYS_EVENTS_TOPIC } from '@keyward/contracts';
import { createIdempotentProducer, createKafka } from '@keyward/messaging';
import { DeadLetters, IndexedProjection } from '@keyward/projections';
import type { TestKey } from '@keyward/testing';
import { publishTestKey, testDatabase, testKafka, testName, waitFor } from '@keyward/testing';
import { authorize } from '../authorize/authorize';
import { KeyIndex } from './key-index';
import type { KeyView } from './key-view';

// The key projection (the very IndexedProjection every service runs) against faults, on the run's
// real Kafka and FerretDB: poison messages on keys.events, a persist that fails mid-batch, and a
// start while Kafka is not reachable.

type KeyProjection = IndexedProjection<KeyView, KeyIndex>;
const VIEWS = 'key_projection_views';

describe('key projection under faults', () => {
  const kafka = testKafka();
  let db: { name: string; connection: Connection; drop(): Promise<void> };
  let producer: Producer;
  const running: KeyProjection[] = [];
  const warnings: string[] = [];

  beforeAll(async () => {
    db = await testDatabase('keyfaults');
    producer = createIdempotentProducer(kafka);
    await producer.connect();
  });

  afterEach(async () => {
    for (const p of running.splice(0)) await p.stop();
  });

  afterAll(async () => {
    await producer.disconnect();
    await db.drop();
  });

  /** A fresh topic prefix and group per test; the projection is stopped after the test. */
  function projection(prefix: string, options: { kafkaBrokers?: string[]; collection?: string } = {}): KeyProjection {
    const client = options.kafkaBrokers ? createKafka({ kafkaBrokers: options.kafkaBrokers, kafkaClientId: testName('nokafka') }, { retry: { retries: 0 } }) : kafka;
    const p: KeyProjection = new IndexedProjection<KeyView, KeyIndex>(client, db.connection, {
      name: 'keys',
      topic: `${prefix}${KEYS_EVENTS_TOPIC}`,
      groupId: `${prefix}key-projection`,
      collection: options.collection ?? `${prefix}${VIEWS}`,
      createIndex: () => new KeyIndex(),
      parse: (value) => KEY_EVENTS.parse(value),
      maxStalenessMs: 30_000,
      itemNoun: 'keys',
      log: { log: () => undefined, warn: (m) => warnings.push(m) },
    });
    running.push(p);
    return p;
  }

  async function send(prefix: string, ...messages: { key: string; value: string | Buffer | null }[]): Promise<void> {
    await producer.send({ topic: `${prefix}${KEYS_EVENTS_TOPIC}`, acks: -1, messages });
  }

  function keyEvent(key: TestKey, version: number, change: Pick<KeyEventEnvelope, 'type' | 'data'>): string {
    return JSON.stringify({ id: randomUUID(), schemaVersion: 1, aggregateId: key.keyId, accountId: key.accountId, version, occurredAt: new Date().toISOString(), ...change });
  }

  function outcome(p: KeyProjection, secret: string): string {
    const o = authorize(p.index, { token: secret, clientIp: '127.0.0.1', permission: 'devices:read', nowMs: Date.now() });
    return o.ok ? 'ok' : o.code;
  }

  it('quarantines poison messages to dead letters and keeps applying: a key created afterwards works and a revocation behind a far-ahead version takes effect', async () => {
    const prefix = `${testName('poison')}.`;
    const p = projection(prefix);
    await p.start();
    await waitFor('the projection to catch up', () => p.available().ok, { timeoutMs: 30_000 });
    const victim = await publishTestKey(kafka, prefix, { accountId: 'acc_poison', permissions: ['devices:read'] });
    await waitFor('the first key to be known', () => outcome(p, victim.secret) === 'ok', { timeoutMs: 20_000 });

    await send(prefix,
      // A well-formed envelope whose data is empty: evolveKeyView threw on it and stalled the partition.
      { key: 'key_poison', value: JSON.stringify({ id: randomUUID(), type: 'KeyCreated', schemaVersion: 1, aggregateId: 'key_poison', accountId: 'acc_poison', version: 1, occurredAt: new Date().toISOString(), data: {} }) },
      { key: 'key_garbage', value: 'this is not JSON {' },
      // Far ahead of the victim's version 1: applied, it would turn the real version 2 into a "duplicate".
      { key: victim.keyId, value: keyEvent(victim, 1000, { type: 'KeyPermissionsChanged', data: { by: 'attacker', permissions: ['devices:read', 'devices:write'] } }) },
      { key: victim.keyId, value: keyEvent(victim, 2, { type: 'KeyRevoked', data: { by: 'admin' } }) },
    );
    const later = await publishTestKey(kafka, prefix, { accountId: 'acc_poison', permissions: ['devices:read'] });

    await waitFor('a key created after the poison to be known', () => outcome(p, later.secret) === 'ok', { timeoutMs: 20_000 });
    await waitFor('the revocation behind the far-ahead version to take effect', () => outcome(p, victim.secret) === 'key_revoked', { timeoutMs: 20_000 });
    expect(p.index.get(victim.keyId)).toMatchObject({ status: 'revoked', version: 2, permissions: ['devices:read'] });
    await waitFor('three dead letters', () => p.consumerStatus().deadLetters === 3, { timeoutMs: 20_000 });
    const status = await p.status();
    expect({ consumer: status.consumer, deadLetters: status.deadLetters, malformed: status.malformed, items: status.items })
      .toEqual({ consumer: 'running', deadLetters: 3, malformed: 2, items: 2 });

    const deadLetters = new DeadLetters(db.connection);
    const page = await deadLetters.list({ projection: 'keys', limit: 2 });
    const rest = await deadLetters.list({ projection: 'keys', limit: 2, ...(page.nextCursor ? { cursor: page.nextCursor } : {}) });
    const letters = [...page.items, ...rest.items].filter((l) => l.topic === `${prefix}${KEYS_EVENTS_TOPIC}`);
    expect(letters.map((l) => [l.key, l.error]).sort()).toEqual([
      ['key_garbage', 'the message is not JSON'],
      ['key_poison', 'KeyCreated v1: data.kind is required'],
      [victim.keyId, `KeyPermissionsChanged v1000 of ${victim.keyId} is past a gap in its versions and could grant access, so it is not applied (the next expected version still applies when it comes)`],
    ].sort());
    expect(letters.find((l) => l.key === 'key_garbage')).toMatchObject({ value: 'this is not JSON {', encoding: 'utf8', projection: 'keys' });
    expect(rest.nextCursor).toBeNull();
  }, 90_000);

  it('persists a view whose persist failed mid-batch on the retry, so a restarted projection loads the key with its revocation', async () => {
    const prefix = `${testName('persist')}.`;
    const collection = `${prefix}${VIEWS}`;
    const p = projection(prefix);
    await p.start();
    await waitFor('the projection to catch up', () => p.available().ok, { timeoutMs: 30_000 });
    const key = await publishTestKey(kafka, prefix, { accountId: 'acc_persist', permissions: ['devices:read'] });
    const views = db.connection.collection<{ _id: string; status?: string }>(collection);
    await waitFor('the key to be persisted', async () => (await views.findOne({ _id: key.keyId }))?.status === 'active', { timeoutMs: 20_000 });

    // The database refuses the revoked view (a real write error of FerretDB, not a mock): a unique
    // index on `status` that a blocker document already holds for 'revoked'.
    await views.insertOne({ _id: 'blocker', status: 'revoked' });
    await views.createIndex({ status: 1 }, { unique: true, name: 'fault_status' });
    await send(prefix, { key: key.keyId, value: keyEvent(key, 2, { type: 'KeyRevoked', data: { by: 'admin' } }) });
    await waitFor('the revocation in memory', () => outcome(p, key.secret) === 'key_revoked', { timeoutMs: 20_000 });
    await waitFor('the consumer to fail and be restarted', () => p.consumerStatus().restarts >= 1, { timeoutMs: 60_000 });
    expect(p.consumerStatus().lastError).toMatch(/UNIQUE constraint|duplicate key|E11000/i);
    expect(p.readiness().ready).toBe(false);

    // The database recovers: the retry writes the view, though every event it re-reads is a duplicate.
    await views.dropIndex('fault_status');
    await views.deleteOne({ _id: 'blocker' });
    await waitFor('the revoked view on disk', async () => (await views.findOne({ _id: key.keyId }))?.status === 'revoked', { timeoutMs: 60_000 });
    await waitFor('the consumer running again', () => p.consumerStatus().consumer === 'running', { timeoutMs: 30_000 });
    await p.stop();
    expect(p.consumerStatus().consumer).toBe('stopped');

    const restarted = projection(prefix);
    await restarted.start();
    await waitFor('the restarted projection to catch up', () => restarted.available().ok, { timeoutMs: 30_000 });
    expect(restarted.index.get(key.keyId)).toMatchObject({ status: 'revoked', version: 2 });
    expect(outcome(restarted, key.secret)).toBe('key_revoked');
    expect(await views.countDocuments({ _id: key.keyId })).toBe(1);
  }, 180_000);

  it('starts while Kafka is not reachable: start() returns, the projection is not ready, and it keeps retrying', async () => {
    const p = projection(`${testName('nokafka')}.`, { kafkaBrokers: ['127.0.0.1:1'] });
    await p.start();
    expect(p.consumerStatus().consumer).toBe('restarting');
    await waitFor('two supervised retries', () => p.consumerStatus().restarts >= 2, { timeoutMs: 30_000 });
    expect(p.readiness()).toMatchObject({ ready: false });
    expect(p.available().ok).toBe(false);
    expect(p.consumerStatus().lastError).toMatch(/could not start|restart failed/);
  }, 60_000);
});
