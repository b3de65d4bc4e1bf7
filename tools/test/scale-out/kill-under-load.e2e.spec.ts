import { SERVICES } from '@keyward/contracts';
import type { AdminKey, LoadRequest, LoadResult } from '@keyward/testing';
import { call, loadSpecLock, outcomeCounts, ScaledPlatform, startLoad, waitFor } from '@keyward/testing';
import { perKeyProblems, readTopic } from './topic-events';

// Two instances of every service behind one edge that balances over them (issue 13). Under a
// bounded load of mixed reads and writes of every service through the edge, one instance of each
// service is killed with SIGKILL and later restarted: no read fails, no acknowledged write is lost
// or applied twice, every service's outbox publishes each event exactly once in per-key order
// (counted on the topics), and the expiry sweep (run by both keys instances) records each
// KeyExpired once.

type Upstream = 'keys' | 'sessions' | 'tickets' | 'technicians' | 'devices';
const UPSTREAMS: readonly Upstream[] = ['keys', 'sessions', 'tickets', 'technicians', 'devices'];
const LIST: Readonly<Record<Upstream, string>> = {
  keys: '/v1/keys?limit=1', sessions: '/v1/sessions/history?limit=1', tickets: '/v1/tickets?limit=1', technicians: '/v1/technicians?limit=1', devices: '/v1/devices?limit=1',
};
const REQUESTS = 600;
const RATE = 25;
const EXPIRING = 6;

function createBody(service: Upstream, i: number): unknown {
  switch (service) {
    case 'keys': return { kind: 'private', name: `load ${i}`, permissions: ['devices:read'] };
    case 'sessions': return {};
    case 'tickets': return { requesterName: `Requester ${i}`, requesterEmail: `r${i}@example.com`, problemDescription: `problem ${i}` };
    case 'technicians': return { name: `Tech ${i}`, email: `t${i}@example.com` };
    case 'devices': return { name: `Device ${i}`, os: 'linux', hostname: `host-${i}` };
  }
}

describe('one instance of each service killed under load, behind a balancing edge', () => {
  const lock = loadSpecLock('kill-under-load');
  const run = new ScaledPlatform();
  let admin: AdminKey;
  let edgeUrl = '';
  const env = { RELAY_LEASE_TTL_MS: '2000' };

  beforeAll(async () => {
    admin = await run.bootstrapAdmin('acc_kill_under_load');
    for (const service of UPSTREAMS) await Promise.all([run.start(service, 0, env), run.start(service, 1, env)]);
    const upstreams = Object.fromEntries(UPSTREAMS.map((s) => [`${s.toUpperCase()}_URL`, run.all(s).map((p) => p.url).join(',')]));
    // What this proves is failover, not shedding (overload.e2e.spec has that): on a loaded two-core box
    // the survivors answer slowly while the killed instances start again, the edge's adaptive limit
    // shrinks, and with its default 50 ms queue wait reads would be answered 503 `overloaded` (a CI run
    // beside two other test runs saw 16). Here a read waits up to 2 s for a slot of an instance.
    edgeUrl = (await run.start('edge', 0, { ...env, ...upstreams, UPSTREAM_MAX_QUEUE_WAIT_MS: '2000' })).url;
    for (const s of UPSTREAMS) {
      await waitFor(`${s} to know the admin key through the edge`, async () => (await call(edgeUrl, 'GET', LIST[s], { secret: admin.secret })).status === 200, { timeoutMs: 60_000 });
    }
  }, 600_000);

  afterAll(async () => {
    await run.close();
    await lock.release();
  }, 120_000);

  it('fails no read, loses and doubles no acknowledged write, publishes every event once, expires each key once', async () => {
    // Keys that expire while the load runs and an instance of keys is down.
    const expiring: string[] = [];
    for (let i = 0; i < EXPIRING; i++) {
      const expiresAt = new Date(Date.now() + 10_000).toISOString();
      const reply = await call(edgeUrl, 'POST', '/v1/keys', { secret: admin.secret, body: { kind: 'private', name: `expiring ${i}`, permissions: ['devices:read'], expiresAt } });
      const id = (reply.body['key'] as { id?: unknown } | undefined)?.id;
      if (reply.status !== 201 || typeof id !== 'string') throw new Error(`creating an expiring key answered ${reply.status} ${reply.text}`);
      expiring.push(id);
    }

    const load = startLoad({
      count: REQUESTS, ratePerSecond: RATE, maxInFlight: 40, timeoutMs: 15_000,
      request: (i): LoadRequest => {
        const service = UPSTREAMS[i % UPSTREAMS.length] ?? 'keys';
        // Two reads to one write, for every service.
        return i % 3 === 2
          ? { label: `create ${service}`, baseUrl: edgeUrl, method: 'POST', path: `/v1/${service}`, secret: admin.secret, body: createBody(service, i) }
          : { label: `read ${service}`, baseUrl: edgeUrl, method: 'GET', path: LIST[service], secret: admin.secret };
      },
    });
    // One instance of each service dies, one after another, while the load runs; then all come back.
    // What happened when, relative to the load's start: printed with the outcomes, to read a failure against.
    const timeline: string[] = [];
    const mark = (what: string): void => { timeline.push(`+${Date.now() - load.startedAt} ms ${what}`); };
    for (const service of UPSTREAMS) {
      await waitFor('the load to go on', () => load.results().length >= 60 * (UPSTREAMS.indexOf(service) + 1), { timeoutMs: 60_000, intervalMs: 20 });
      await run.stop(service, 0, 'SIGKILL');
      mark(`${service} 0 killed`);
    }
    // One at a time, with room: on a loaded two-core box a start-up under load can take minutes.
    for (const service of UPSTREAMS) {
      await run.start(service, 0, env, 300_000);
      mark(`${service} 0 ready again`);
    }
    const results = await load.done;
    console.log(`outcomes: ${JSON.stringify(outcomeCounts(results))}\ntimeline: ${timeline.join('; ')}`);

    // No read failed.
    const reads = results.filter((r) => r.method === 'GET');
    expect(reads.filter((r) => r.status !== 200).map((r) => `${r.label} ${r.status} ${r.code ?? r.error ?? ''} ${r.detail ?? ''} (sent at +${r.sentAt - load.startedAt} ms, ${r.latencyMs} ms)`)).toEqual([]);

    // No acknowledged write lost: each is there, through the edge, after the restarts.
    const acked = results.filter((r): r is LoadResult & { id: string } => r.method === 'POST' && r.status === 201 && r.id !== undefined);
    expect(acked.length).toBeGreaterThan(REQUESTS / 6);
    for (const r of acked) {
      const service = UPSTREAMS.find((s) => r.label === `create ${s}`) ?? 'keys';
      const reply = await call(edgeUrl, 'GET', `/v1/${service}/${r.id}`, { secret: admin.secret });
      expect(`${service} ${r.id} ${reply.status}`).toBe(`${service} ${r.id} 200`);
    }

    // Every event once on its topic, in per-key order; no write applied twice (no more creations than requests).
    for (const service of UPSTREAMS) {
      const topic = `${run.prefix}${SERVICES[service].topic ?? ''}`;
      const mine = acked.filter((r) => r.label === `create ${service}`).map((r) => r.id);
      const wantExpired = service === 'keys' ? expiring : [];
      const seen = await readTopic(topic, (s) => {
        const ids = new Set(s.map((e) => e.event.aggregateId));
        const expired = new Set(s.filter((e) => e.event.type === 'KeyExpired').map((e) => e.event.aggregateId));
        return mine.every((id) => ids.has(id)) && wantExpired.every((id) => expired.has(id));
      }, 90_000);
      expect(perKeyProblems(seen, new Map())).toEqual([]);
      expect(seen.length - new Set(seen.map((e) => e.event.id)).size).toBe(0);
      const sent = results.filter((r) => r.label === `create ${service}`).length;
      const created = new Set(seen.filter((e) => e.event.version === 1).map((e) => e.event.aggregateId));
      for (const id of [admin.keyId, ...expiring]) created.delete(id);
      expect(created.size).toBeLessThanOrEqual(sent);
      if (service === 'keys') {
        const expiredCounts = expiring.map((id) => seen.filter((e) => e.event.aggregateId === id && e.event.type === 'KeyExpired').length);
        expect(expiredCounts).toEqual(expiring.map(() => 1));
      }
    }
  }, 600_000);
});
