import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Producer } from 'kafkajs';
import type { Connection } from 'mongoose';
import type { KeyEventEnvelope } from '@keyward/contracts';
import { displayPrefix, generateToken, hashToken, KEY_EVENTS, KEYS_EVENTS_TOPIC } from '@keyward/contracts';
import { createIdempotentProducer } from '@keyward/messaging';
import { IndexedProjection } from '@keyward/projections';
import type { TestKey } from '@keyward/testing';
import { publishTestKey, testDatabase, testKafka, testName, waitFor } from '@keyward/testing';
import { authorize } from '../authorize/authorize';
import { KeyIndex } from './key-index';
import type { KeyView } from './key-view';

// The key projection every service runs, restarted from its local snapshot on the run's real Kafka
// and FerretDB: it loads the snapshot, reads only the events after it (even those the database had
// already persisted), refuses a key revoked after the snapshot, and falls back to the database when
// the snapshot is damaged or ahead of the database. A member its killed process left in the group
// does not keep it from the snapshot's offsets either.

type KeyProjection = IndexedProjection<KeyView, KeyIndex>;
const KEYS = 300;

describe('key projection restart from a snapshot', () => {
  const kafka = testKafka();
  let db: { name: string; connection: Connection; drop(): Promise<void> };
  let producer: Producer;
  let dir: string;
  const running: KeyProjection[] = [];
  const logs: string[] = [];

  beforeAll(async () => {
    db = await testDatabase('keysnap');
    dir = await mkdtemp(join(tmpdir(), 'keysnap-'));
    producer = createIdempotentProducer(kafka);
    await producer.connect();
  });

  afterEach(async () => {
    for (const p of running.splice(0)) await p.stop();
  });

  afterAll(async () => {
    await producer.disconnect();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  function projection(prefix: string, intervalMs = 0): KeyProjection {
    const p: KeyProjection = new IndexedProjection<KeyView, KeyIndex>(kafka, db.connection, {
      name: 'keys',
      topic: `${prefix}${KEYS_EVENTS_TOPIC}`,
      groupId: `${prefix}key-projection`,
      collection: `${prefix}key_projection_views`,
      createIndex: () => new KeyIndex(),
      parse: (value) => KEY_EVENTS.parse(value),
      maxStalenessMs: 30_000,
      itemNoun: 'keys',
      snapshot: { dir, service: 'sessions', instanceId: `spec-${prefix}`, database: db.name, intervalMs },
      log: { log: (m) => logs.push(m), warn: (m) => logs.push(`WARN ${m}`) },
    });
    running.push(p);
    return p;
  }

  /** The first key through publishTestKey (it creates the topic), then KEYS - 1 more in one send. */
  async function publishKeys(prefix: string): Promise<TestKey[]> {
    const first = await publishTestKey(kafka, prefix, { accountId: 'acc_snap', permissions: ['devices:read'] });
    const keys: TestKey[] = [first];
    const messages = [];
    for (let i = 1; i < KEYS; i++) {
      const secret = generateToken('private');
      const keyId = `key_${prefix.replace(/[^A-Za-z0-9]/g, '')}${i}`;
      const event: KeyEventEnvelope = {
        id: randomUUID(), type: 'KeyCreated', schemaVersion: 1, aggregateId: keyId, accountId: `acc_snap${i % 7}`, version: 1,
        occurredAt: new Date().toISOString(),
        data: {
          kind: 'private', name: `key ${i}`, permissions: ['devices:read'], allowedIps: i % 10 === 0 ? ['10.0.0.0/8'] : [],
          expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(), createdBy: 'test', secretHash: hashToken(secret), tokenPrefix: displayPrefix(secret),
        },
      };
      keys.push({ keyId, accountId: event.accountId, secret });
      messages.push({ key: keyId, value: JSON.stringify(event) });
    }
    await producer.send({ topic: `${prefix}${KEYS_EVENTS_TOPIC}`, acks: -1, messages });
    return keys;
  }

  async function revoke(prefix: string, key: TestKey): Promise<void> {
    await producer.send({ topic: `${prefix}${KEYS_EVENTS_TOPIC}`, acks: -1, messages: [{ key: key.keyId, value: JSON.stringify({
      id: randomUUID(), type: 'KeyRevoked', schemaVersion: 1, aggregateId: key.keyId, accountId: key.accountId, version: 2,
      occurredAt: new Date().toISOString(), data: { by: 'admin' },
    }) }] });
  }

  function outcome(p: KeyProjection, key: TestKey): string {
    const o = authorize(p.index, { token: key.secret, clientIp: '10.1.2.3', permission: 'devices:read', nowMs: Date.now() });
    return o.ok ? 'ok' : o.code;
  }

  /** Messages the projection has persisted a checkpoint for (sum over partitions). */
  async function checkpointed(p: KeyProjection): Promise<number> {
    return Object.values((await p.status()).positions).reduce((sum, o) => sum + Number(o), 0);
  }

  /** A projection that consumed every key, wrote a snapshot, then applied and persisted one revocation the snapshot does not have. */
  async function runUntilSnapshotAndOneMore(prefix: string): Promise<{ keys: TestKey[]; revokedAfterSnapshot: TestKey }> {
    const p = projection(prefix);
    await p.start();
    const keys = await publishKeys(prefix);
    await waitFor('every key applied and persisted', async () => p.index.size === KEYS && (await checkpointed(p)) === KEYS, { timeoutMs: 60_000 });
    const written = await p.writeSnapshot();
    expect(written).toMatchObject({ items: KEYS });
    const revokedAfterSnapshot = keys[1] as TestKey;
    await revoke(prefix, revokedAfterSnapshot);
    // Persisted in the database (view and checkpoint), but not in the snapshot.
    await waitFor('the revocation persisted', async () => (await checkpointed(p)) === KEYS + 1, { timeoutMs: 30_000 });
    expect(outcome(p, revokedAfterSnapshot)).toBe('key_revoked');
    await p.stop();
    return { keys, revokedAfterSnapshot };
  }

  it('loads the snapshot and reads only the events after it: a key revoked after the snapshot is refused', async () => {
    const prefix = `${testName('snap')}.`;
    const { keys, revokedAfterSnapshot } = await runUntilSnapshotAndOneMore(prefix);
    // While it is down: another revocation and a new key.
    const revokedWhileDown = keys[2] as TestKey;
    await revoke(prefix, revokedWhileDown);
    const created = await publishTestKey(kafka, prefix, { accountId: 'acc_snap', permissions: ['devices:read'] });

    const restarted = projection(prefix);
    await restarted.start();
    await waitFor('the restarted projection to catch up', () => restarted.available().ok, { timeoutMs: 60_000 });
    const status = await restarted.status();
    expect(status.snapshot).toMatchObject({ loadedFrom: 'snapshot', fallbackReason: null, loaded: { items: KEYS } });
    // Exactly the three events after the snapshot's offsets (the first one the database already had): none skipped, none re-read.
    expect({ applied: status.applied, duplicates: status.duplicates, items: status.items }).toEqual({ applied: 3, duplicates: 0, items: KEYS + 1 });
    expect(outcome(restarted, revokedAfterSnapshot)).toBe('key_revoked');
    expect(outcome(restarted, revokedWhileDown)).toBe('key_revoked');
    expect(outcome(restarted, created)).toBe('ok');
    expect(keys.slice(3).map((k) => outcome(restarted, k)).every((o) => o === 'ok')).toBe(true);
    expect(logs.some((l) => l.includes(`loaded ${KEYS} keys from the snapshot`))).toBe(true);
  }, 180_000);

  /**
   * A member of `groupId` in a process of its own, killed with SIGKILL once it has joined: the
   * group keeps it, with the offsets committed before, until its session times out (6 s), as after
   * a `kill -9` of a service. Offsets cannot be set from outside while it is there.
   */
  async function leaveDeadMember(groupId: string, topic: string): Promise<void> {
    const script = `
      const { Kafka, logLevel } = require('kafkajs');
      const kafka = new Kafka({ clientId: 'dead-member', brokers: process.env.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING });
      const consumer = kafka.consumer({ groupId: process.env.GROUP, sessionTimeout: 6000, rebalanceTimeout: 6000, heartbeatInterval: 1000 });
      consumer.on(consumer.events.GROUP_JOIN, () => process.stdout.write('joined\\n'));
      consumer.connect()
        .then(() => consumer.subscribe({ topic: process.env.TOPIC, fromBeginning: true }))
        .then(() => consumer.run({ autoCommit: false, eachMessage: async () => {} }));`;
    const child = spawn(process.execPath, ['-e', script], { env: { ...process.env, GROUP: groupId, TOPIC: topic }, stdio: ['ignore', 'pipe', 'inherit'] });
    let joined = false;
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('joined')) joined = true;
    });
    try {
      await waitFor('the second process to join the group', () => joined, { timeoutMs: 60_000 });
    } finally {
      child.kill('SIGKILL');
    }
  }

  it('starts from the snapshot\'s offsets even while a killed process is still a member of its group', async () => {
    const prefix = `${testName('deadmember')}.`;
    const { keys, revokedAfterSnapshot } = await runUntilSnapshotAndOneMore(prefix);
    // The group has committed past the snapshot (the revocation after it); a dead member holds the group.
    await leaveDeadMember(`${prefix}key-projection`, `${prefix}${KEYS_EVENTS_TOPIC}`);
    const revokedWhileDown = keys[2] as TestKey;
    await revoke(prefix, revokedWhileDown);

    const restarted = projection(prefix);
    await restarted.start();
    await waitFor('the restarted projection to catch up', () => restarted.available().ok, { timeoutMs: 90_000 });
    const status = await restarted.status();
    // The snapshot is used, and the consumer read from its offsets, not from the group's later commit:
    // the revocation after the snapshot is applied again on the snapshot's state (not skipped).
    expect(status.snapshot).toMatchObject({ loadedFrom: 'snapshot', fallbackReason: null, loaded: { items: KEYS } });
    expect({ applied: status.applied, duplicates: status.duplicates, items: status.items }).toEqual({ applied: 2, duplicates: 0, items: KEYS });
    expect(outcome(restarted, revokedAfterSnapshot)).toBe('key_revoked');
    expect(outcome(restarted, revokedWhileDown)).toBe('key_revoked');
    expect(outcome(restarted, keys[5] as TestKey)).toBe('ok');
  }, 240_000);

  it('falls back to the database when the snapshot is damaged or ahead of the database, says why, then writes a new one', async () => {
    const prefix = `${testName('corrupt')}.`;
    const { keys, revokedAfterSnapshot } = await runUntilSnapshotAndOneMore(prefix);
    const path = join(dir, 'sessions', `spec-${prefix}`.replace(/[^A-Za-z0-9._-]/g, '_'), `${db.name}.keys.snapshot.gz`);
    const good = await readFile(path);
    const damaged = Buffer.from(good);
    for (let i = Math.floor(good.length / 2); i < Math.floor(good.length / 2) + 8; i++) damaged[i] = (damaged[i] ?? 0) ^ 0x5a;
    await writeFile(path, damaged);

    // intervalMs 500: once caught up it writes a fresh snapshot on its own.
    const fallback = projection(prefix, 500);
    await fallback.start();
    await waitFor('the projection to catch up from the database', () => fallback.available().ok, { timeoutMs: 60_000 });
    const status = await fallback.status();
    expect(status.snapshot).toMatchObject({ loadedFrom: 'database', loaded: null });
    expect(status.snapshot?.fallbackReason).toMatch(/damaged|line \d+|corrupt/);
    expect(logs.some((l) => l.startsWith('WARN keys: snapshot not used') && l.includes(path))).toBe(true);
    // The database path: every view and the checkpoint, nothing left to read.
    expect({ applied: status.applied, items: status.items }).toEqual({ applied: 0, items: KEYS });
    expect(outcome(fallback, revokedAfterSnapshot)).toBe('key_revoked');
    expect(outcome(fallback, keys[5] as TestKey)).toBe('ok');
    await waitFor('a new snapshot written', async () => (await fallback.status()).snapshot?.lastWritten?.items === KEYS, { timeoutMs: 30_000 });
    await fallback.stop();

    const fromNew = projection(prefix);
    await fromNew.start();
    await waitFor('the restart from the new snapshot', () => fromNew.available().ok, { timeoutMs: 60_000 });
    expect((await fromNew.status()).snapshot).toMatchObject({ loadedFrom: 'snapshot', loaded: { items: KEYS } });
    expect(outcome(fromNew, revokedAfterSnapshot)).toBe('key_revoked');
    await fromNew.stop();

    // A database behind the snapshot (restored from an old backup: here, its checkpoint gone) is not
    // patched over with the snapshot: the database path runs, from the start of the topic.
    await db.connection.collection('projection_checkpoints').deleteMany({ topic: `${prefix}${KEYS_EVENTS_TOPIC}` });
    const behind = projection(prefix);
    await behind.start();
    await waitFor('the restart with the database behind', () => behind.available().ok, { timeoutMs: 60_000 });
    const behindStatus = await behind.status();
    expect(behindStatus.snapshot?.loadedFrom).toBe('database');
    expect(behindStatus.snapshot?.fallbackReason).toMatch(/ahead of the database's checkpoint/);
    expect(behindStatus.duplicates + behindStatus.applied).toBe(KEYS + 1);
    expect(outcome(behind, revokedAfterSnapshot)).toBe('key_revoked');
  }, 240_000);
});
