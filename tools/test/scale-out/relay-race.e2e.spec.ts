import mongoose from 'mongoose';
import { KEYS_EVENTS_TOPIC } from '@keyward/contracts';
import type { AdminKey } from '@keyward/testing';
import { KeysApi, ScaledPlatform, testInfra, waitFor } from '@keyward/testing';
import { perKeyProblems, readTopic } from './topic-events';

// Two instances of keys on one database and topic (issue 13): their outbox relays race for one
// lease. Both started at the same moment, then the lease holder paused (SIGSTOP) in the middle of a
// stream of writes until its lease has expired and the other has taken over, then resumed
// (SIGCONT). Every acknowledged write's event is on keys.events exactly once, in per-key order.

const LEASE_TTL_MS = 2_000;
const KEYS = 16;
const CHANGES = 6;

describe('two keys instances: relays racing for the lease', () => {
  const run = new ScaledPlatform();
  let admin: AdminKey;
  const apis: KeysApi[] = [];

  beforeAll(async () => {
    admin = await run.bootstrapAdmin('acc_relay_race');
    const env = { RELAY_LEASE_TTL_MS: String(LEASE_TTL_MS) };
    // The same moment: neither finds a lease, both try to take the first term.
    const [a, b] = await Promise.all([run.start('keys', 0, env), run.start('keys', 1, env)]);
    if (!a || !b) throw new Error('two keys instances did not start');
    apis.push(new KeysApi(a.url, admin), new KeysApi(b.url, admin));
  }, 240_000);

  afterAll(() => run.close(), 60_000);

  /** The port of the instance whose relay holds the lease now (its owner is `<host>-<port>:<uuid>`). */
  async function holderIndex(): Promise<number> {
    const connection = await mongoose.createConnection(testInfra().mongodbUri, { dbName: run.platform.database('keys') }).asPromise();
    try {
      const [latest] = await connection.collection<{ _id: string; term: number; owner: string; until: Date }>('leases')
        .find({ name: `relay:${run.prefix}${KEYS_EVENTS_TOPIC}` }).sort({ term: -1 }).limit(1).toArray();
      if (!latest) throw new Error('no relay lease in the keys database');
      const port = Number(/-(\d+):[^:]+$/.exec(latest.owner)?.[1]);
      const index = run.all('keys').findIndex((p) => p.port === port);
      if (index < 0) throw new Error(`lease owner ${latest.owner} is no running instance`);
      return index;
    } finally {
      await connection.close();
    }
  }

  it('publishes every event exactly once in per-key order, with one relay paused past its lease', async () => {
    const expected = new Map<string, number>([[admin.keyId, 1]]);
    const ids: string[] = [];
    for (let i = 0; i < KEYS; i++) {
      const created = await (apis[i % 2] ?? apis[0])?.create({ name: `race ${i}`, permissions: ['devices:read'] });
      if (!created) throw new Error('no api');
      ids.push(created.id);
      expected.set(created.id, 1);
    }
    /** Disables or enables every key once, through the given instances, concurrently; counts each acknowledged change. */
    const round = async (through: readonly KeysApi[], round: number): Promise<void> => {
      await Promise.all(ids.map(async (id, i) => {
        const api = through[i % through.length];
        if (!api) return;
        const reply = await api.call('POST', `/v1/keys/${id}/${round % 2 === 0 ? 'disable' : 'enable'}`, {});
        if (reply.status !== 200) throw new Error(`change ${round} of ${id} answered ${reply.status} ${reply.text}`);
        expected.set(id, (expected.get(id) ?? 1) + 1);
      }));
    };
    await round(apis, 0);
    await round(apis, 1);

    const paused = await holderIndex();
    const holder = apis[paused];
    const other = apis[1 - paused];
    if (!holder || !other) throw new Error('no instances');
    // Mid-publish: writes stream through the holder (each append wakes its relay at once, so it is
    // nearly always reading, sending or marking a batch) when it stops.
    let streaming = true;
    let streamed = 0;
    const stream = Promise.all(Array.from({ length: 8 }, async (_, w) => {
      for (let n = 0; streaming; n++) {
        // A request held across the pause may be cut off (the server's own timeouts see the pause): not acknowledged, not expected.
        const reply = await holder.call('POST', '/v1/keys', { kind: 'private', name: `stream ${w}.${n}`, permissions: ['devices:read'] }).catch(() => undefined);
        if (!reply) continue;
        const id = (reply.body['key'] as { id?: unknown } | undefined)?.id;
        if (reply.status === 201 && typeof id === 'string') {
          expected.set(id, 1);
          streamed++;
        }
      }
    }));
    await waitFor('writes to stream through the lease holder', () => streamed >= 40, { timeoutMs: 60_000, intervalMs: 5 });
    run.all('keys')[paused]?.signal('SIGSTOP');
    streaming = false;
    try {
      await round([other], 2);
      await round([other], 3);
      // The other instance takes the lease once it expired and publishes what the paused one left.
      await waitFor('the other instance to take over the lease', async () => (await holderIndex()) !== paused, { timeoutMs: LEASE_TTL_MS * 10 });
      await round([other], 4);
    } finally {
      run.all('keys')[paused]?.signal('SIGCONT');
    }
    // The requests the paused instance held are answered now; it must publish nothing of the batch it held.
    await stream;
    // Resumed after a long pause, its key projection fails safe (503) until it has read a fresh watermark.
    for (const p of run.all('keys')) await waitFor(`keys at ${p.url} to be ready again`, async () => (await fetch(`${p.url}/ready`)).status === 200, { timeoutMs: 60_000 });
    for (let r = 5; r < CHANGES + 2; r++) await round(apis, r);

    const total = [...expected.values()].reduce((a, b) => a + b, 0);
    const topic = `${run.prefix}${KEYS_EVENTS_TOPIC}`;
    const seen = await readTopic(topic, (s) => new Set(s.map((e) => e.event.id)).size >= total);
    // A late publish by the resumed instance would have come right at SIGCONT, before the last rounds' events.
    expect(perKeyProblems(seen, expected)).toEqual([]);
    // Exactly once: no event id twice (a write the paused instance appended but never answered may add one, once).
    expect(seen.length - new Set(seen.map((e) => e.event.id)).size).toBe(0);
  }, 240_000);
});
