import type { LoadResult } from '@keyward/testing';
import { loadSpecLock, outcomeCounts, percentile, startLoad, waitFor } from '@keyward/testing';
import type { FaultSetup, ReadyAnswer } from './faults.spec-helper';
import { acknowledgedWritesKept, holdFault, readiness, requests, faultRun, SETUP_TIMEOUT_MS, CLOSE_TIMEOUT_MS, WRITE_OWNERS } from './faults.spec-helper';

// FerretDB is killed (SIGKILL) under a bounded load of writes and reads on keys, technicians and
// tickets (the services whose routes need it) and stays down for 12 s. No request is answered 500;
// every database-bound request sent meanwhile is answered 503 fast (p99 under 1.5 s); /ready
// answers within 1 s all along; once the database is back everything recovers by itself, and every
// write acknowledged before, during or after is kept.

const OUTAGE_MS = 12_000;
const RATE = 10;
const DB_ROUTE_P99_MS = 1_500;
const READY_MAX_MS = 1_000;

describe('the database killed under load', () => {
  const lock = loadSpecLock('database-outage');
  const run = faultRun('acc_db_outage', {}, {}, ['keys', 'technicians', 'tickets']);
  let setup: FaultSetup;

  beforeAll(async () => {
    setup = await run.start();
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await run.close();
    await lock.release();
  }, CLOSE_TIMEOUT_MS);

  it('answers 503 fast instead of 500, keeps /ready quick, recovers by itself and keeps every acknowledged write', async () => {
    const load = startLoad({
      count: RATE * 50, ratePerSecond: RATE, timeoutMs: 15_000,
      request: (i) => {
        switch (i % 5) {
          case 0: return requests.createKey(setup, i);
          case 1: return requests.registerTechnician(setup, i);
          case 2: return requests.createTicket(setup, i);
          case 3: return requests.read(setup, 'technicians');
          default: return requests.read(setup, 'tickets');
        }
      },
    });
    await waitFor('the load to be under way', () => load.results().length >= 30, { timeoutMs: 30_000 });

    const killedAt = Date.now();
    await setup.infra.ferretdb.kill();
    const probes = probeReadiness(setup);
    await holdFault(killedAt, OUTAGE_MS);
    const restartAt = Date.now();
    await setup.infra.ferretdb.start();
    const readySamples = await probes.stop();

    await waitFor('every service to be ready again', async () => (await readiness(setup)).every((r) => r.status === 200), { timeoutMs: 60_000, intervalMs: 250 });
    const recoveredAt = Date.now();
    const results = await load.done;
    // Recovery is proven by writes made after it, not only by /ready.
    const after = startLoad({ count: 15, ratePerSecond: 10, timeoutMs: 10_000, request: (i) => [requests.createKey, requests.registerTechnician, requests.createTicket][i % 3]!(setup, 10_000 + i) });
    const afterResults = await after.done;

    const during = results.filter((r) => r.sentAt >= killedAt && r.sentAt < restartAt);
    const duringStatuses = outcomeCounts(during);
    const p99 = percentile(during.map((r) => r.latencyMs), 0.99);
    const slowReady = readySamples.filter((s) => s.ms >= READY_MAX_MS);
    const kept = await acknowledgedWritesKept(setup, [...results, ...afterResults], WRITE_OWNERS);
    console.log(`database outage ${OUTAGE_MS} ms, ready again ${recoveredAt - restartAt} ms after the restart began; during: ` +
      `${JSON.stringify(duringStatuses)}, p99 ${p99} ms; /ready samples ${readySamples.length}, max ${Math.max(...readySamples.map((s) => s.ms))} ms; ` +
      `writes ${JSON.stringify(kept)}; whole load ${JSON.stringify(outcomeCounts(results))}`);

    expect(results.concat(afterResults).filter((r) => r.status >= 500 && r.status !== 503).map(brief)).toEqual([]);
    expect(during.filter((r) => !(r.status === 503 || (r.status >= 200 && r.status < 300))).map(brief)).toEqual([]);
    expect(during.filter((r) => r.status === 503).length).toBeGreaterThan(0);
    expect({ p99UnderBound: p99 < DB_ROUTE_P99_MS, p99 }).toEqual({ p99UnderBound: true, p99 });
    expect(slowReady.map((s) => `${s.service} /ready ${s.status} after ${s.ms} ms`)).toEqual([]);
    expect(afterResults.filter((r) => r.status < 200 || r.status >= 300).map(brief)).toEqual([]);
    for (const [label, c] of Object.entries(kept)) {
      expect({ label, ...c }).toEqual({ label, acknowledged: c.acknowledged, stored: c.acknowledged, published: c.acknowledged });
    }
  }, 300_000);
});

/** Asks every service's /ready twice a second, recording how long each answer took. */
function probeReadiness(setup: FaultSetup): { stop(): Promise<ReadyAnswer[]> } {
  const samples: ReadyAnswer[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const started = Date.now();
      const round = await readiness(setup, 5_000);
      samples.push(...round);
      const wait = 500 - (Date.now() - started);
      if (wait > 0 && !stopped) await new Promise((r) => setTimeout(r, wait));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return samples;
    },
  };
}

function brief(r: LoadResult): string {
  return `${r.label} ${r.status}${r.code ? ` ${r.code}` : ''}${r.error ? ` ${r.error}` : ''} after ${r.latencyMs} ms`;
}
