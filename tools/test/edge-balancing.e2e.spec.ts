import type { ServiceProcess } from '@keyward/testing';
import { call, dropTestDatabases, operatorCall, Platform, startServiceProcess, testName, waitFor, waitUntilKnown } from '@keyward/testing';

// The edge balancing over two real instances of one service (technicians), each its own process on
// its own port, behind one edge given TECHNICIANS_URL=<a>,<b> (docs/edge-balancing.md): requests are
// spread over both; one instance SIGKILLed under a steady load of GETs costs no failed GET (the
// in-flight ones and the first ones after are sent once more to the other instance, and the dead one
// is ejected); restarted on its port, it is taken back once its /ready answers.
//
// The two instances share the service's database and topics, as N instances of a service do
// (docs/scaling.md): each has its own instance id (from its port), so its own key-projection group.

const READS_PER_SECOND = 25;

describe('the edge balances over several instances of a service', () => {
  const platform = new Platform();
  const instances: { a?: ServiceProcess; b?: ServiceProcess; edge?: ServiceProcess } = {};
  const database = testName('technicians');
  let reader = '';
  let stopReads: (() => Promise<unknown>) | undefined;

  const startInstance = (port?: number): Promise<ServiceProcess> => startServiceProcess('technicians', {
    env: platform.env('technicians', { MONGODB_DATABASE: database }),
    database,
    readyTimeoutMs: 180_000,
    ...(port !== undefined ? { port } : {}),
  });

  beforeAll(async () => {
    const admin = await platform.bootstrapAdmin('acc_balancing');
    const keys = await platform.start('keys', {}, 180_000);
    [instances.a, instances.b] = await Promise.all([startInstance(), startInstance()]);
    instances.edge = await startServiceProcess('edge', {
      env: platform.env('edge', {
        KEYS_URL: keys.url,
        TECHNICIANS_URL: `${instances.a.url},${instances.b.url}`,
        // Quick checks so that the return after the restart is seen within the test's bounds.
        UPSTREAM_HEALTH_INTERVAL_MS: '500',
        UPSTREAM_EJECT_MS: '500',
      }),
      readyTimeoutMs: 180_000,
    });
    const created = await call(keys.url, 'POST', '/v1/keys', { secret: admin.secret, body: { kind: 'private', name: 'balancing reader', permissions: ['technicians:read'] } });
    reader = String(created.body['secret']);
    for (const target of [instances.a, instances.b, instances.edge]) await waitUntilKnown(target, reader, 'the reader key', 60_000);
  }, 600_000);

  afterAll(async () => {
    await stopReads?.();
    await Promise.all([instances.edge, instances.a, instances.b].map((p) => p?.stop('SIGKILL')));
    await platform.close();
    await dropTestDatabases([database]);
  }, 120_000);

  it('spreads requests over both instances', async () => {
    const { a, b, edge } = required();
    const before = await Promise.all([servedReads(a), servedReads(b)]);
    for (let i = 0; i < 40; i++) {
      const reply = await call(edge.url, 'GET', '/v1/technicians?limit=5', { secret: reader });
      expect(reply.status).toBe(200);
    }
    const after = await Promise.all([servedReads(a), servedReads(b)]);
    const served = after.map((n, i) => n - (before[i] ?? 0));
    console.log(`40 GETs through the edge: ${served[0]} at instance a, ${served[1]} at instance b`);
    expect(served.reduce((x, y) => x + y, 0)).toBe(40);
    // Least in flight, ties in turn: sequential requests alternate.
    for (const n of served) expect(n).toBeGreaterThanOrEqual(10);
  });

  it('loses no GET when an instance is SIGKILLed, ejects it, and takes it back once it is ready again', async () => {
    const { a, b, edge } = required();
    const reads = steadyReads(edge.url, reader, READS_PER_SECOND);
    // A failed wait below must not leave the reads running (the test process would never end).
    stopReads = () => reads.stop();
    await waitFor('reads under way', () => reads.results().length >= 25, { timeoutMs: 20_000, intervalMs: 50 });

    const killedAt = Date.now();
    await a.stop('SIGKILL');
    const ejected = await waitFor('the edge to leave instance a out', async () => ((await instanceUp(edge, a)) === 0 ? Date.now() - killedAt : false), { timeoutMs: 10_000, intervalMs: 50 });
    const servedByB = await servedReads(b);
    await waitFor('reads to keep going to instance b', async () => (await servedReads(b)) >= servedByB + 25, { timeoutMs: 20_000, intervalMs: 200 });

    const restartedAt = Date.now();
    const again = await startInstance(a.port);
    instances.a = again;
    const readyMs = Date.now() - restartedAt;
    const back = await waitFor('the edge to take instance a back', async () => ((await instanceUp(edge, again)) === 1 ? Date.now() - restartedAt : false), { timeoutMs: 30_000, intervalMs: 100 })
      .catch((e: unknown) => { throw new Error(`${e instanceof Error ? e.message : String(e)}; the edge said: ${upstreamLines(edge)}`); });
    await waitFor('reads to reach instance a again', async () => (await servedReads(again)) >= 10, { timeoutMs: 15_000, intervalMs: 200 });
    const results = await reads.stop();

    const failed = results.filter((r) => r.status !== 200);
    const retries = await edgeMetric(edge, /^edge_upstream_retries_total\{service="technicians"\} (\d+)/m);
    const ejections = await edgeMetric(edge, new RegExp(`^edge_upstream_ejections_total\\{instance="${a.url}",service="technicians"\\} (\\d+)`, 'm')) ?? 0;
    console.log(`${results.length} GETs at ${READS_PER_SECOND}/s: ${failed.length} failed; instance a left out ${ejected} ms after its SIGKILL ` +
      `(${ejections} ejections, ${retries} GETs sent again to b); restarted and ready in ${readyMs} ms, taken back ${back} ms after the restart began`);
    expect({ failed: failed.map((r) => `${r.status} ${r.error ?? ''} after ${r.latencyMs} ms`), edge: failed.length > 0 ? upstreamLines(edge) : '' }).toEqual({ failed: [], edge: '' });
    expect(results.length).toBeGreaterThan(100);
    expect(ejections).toBeGreaterThanOrEqual(1);
  }, 240_000);

  function required(): { a: ServiceProcess; b: ServiceProcess; edge: ServiceProcess } {
    const { a, b, edge } = instances;
    if (!a || !b || !edge) throw new Error('the platform did not start');
    return { a, b, edge };
  }
});

interface ReadResult {
  readonly status: number;
  readonly latencyMs: number;
  readonly error?: string;
}

/** GETs through the edge at a steady rate, each with its own bound, until stop(). */
function steadyReads(edgeUrl: string, secret: string, perSecond: number): { results(): readonly ReadResult[]; stop(): Promise<ReadResult[]> } {
  const results: ReadResult[] = [];
  const pending = new Set<Promise<void>>();
  const one = async (): Promise<void> => {
    const started = Date.now();
    try {
      const res = await fetch(`${edgeUrl}/v1/technicians?limit=5`, { headers: { authorization: `Bearer ${secret}` }, signal: AbortSignal.timeout(10_000) });
      await res.arrayBuffer();
      results.push({ status: res.status, latencyMs: Date.now() - started });
    } catch (e) {
      results.push({ status: 0, latencyMs: Date.now() - started, error: e instanceof Error ? `${e.message} ${e.cause instanceof Error ? e.cause.message : ''}` : String(e) });
    }
  };
  const timer = setInterval(() => {
    const p = one().finally(() => pending.delete(p));
    pending.add(p);
  }, 1000 / perSecond);
  return {
    results: () => results,
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
      return results;
    },
  };
}

/** GET /v1/technicians answered 200 by this instance so far (its own request counter). */
async function servedReads(instance: ServiceProcess): Promise<number> {
  const reply = await operatorCall(instance.url, 'GET', '/metrics');
  let total = 0;
  for (const line of reply.text.split('\n')) {
    if (line.startsWith('http_requests_total{') && line.includes('route="/v1/technicians"') && line.includes('method="GET"') && line.includes('status="200"')) {
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}

/** The edge's view of an instance: edge_upstream_up (1 when it sends it requests), undefined before any report. */
async function instanceUp(edge: ServiceProcess, instance: ServiceProcess): Promise<number | undefined> {
  return edgeMetric(edge, new RegExp(`^edge_upstream_up\\{instance="${instance.url}",service="technicians"\\} (\\d+)`, 'm'));
}

/** What the edge logged about its upstreams (state changes), for a failure message. */
function upstreamLines(edge: ServiceProcess): string {
  return edge.output().split('\n').filter((l) => l.includes('EdgeUpstreams')).slice(-12).join('\n');
}

async function edgeMetric(edge: ServiceProcess, pattern: RegExp): Promise<number | undefined> {
  const reply = await operatorCall(edge.url, 'GET', '/metrics');
  const m = pattern.exec(reply.text);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}
