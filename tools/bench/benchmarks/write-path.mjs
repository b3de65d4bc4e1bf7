// 5. Write path: key creations per second through the keys API with the outbox relay publishing,
// and the event store's append latency, with 1 and 8 concurrent clients.
import { performance } from 'node:perf_hooks';
import { bearer } from '../lib/http.mjs';
import { closedLoop } from '../lib/load.mjs';
import { benchName, mongoose } from '../lib/platform.mjs';
import { profileDuring } from '../lib/profile-window.mjs';
import { runWorker, sleep } from '../lib/proc.mjs';
import { median, ratio, summarize } from '../lib/stats.mjs';
import { barChart } from '../lib/svg.mjs';

export const name = 'write';
export const title = '5. Write path';
export const needsPlatform = true;

const CONCURRENCY = [1, 8];

export async function run(ctx) {
  const { platform } = ctx;
  const durationMs = ctx.quick ? 2000 : 10_000;
  const runs = ctx.quick ? 1 : 2;
  const headers = bearer(platform.admin.secret);
  const url = `${platform.url('keys')}/v1/keys`;
  const keysDb = await mongoose.createConnection(ctx.env.MONGODB_URI, { dbName: platform.database('keys') }).asPromise();
  const unpublished = () => keysDb.collection('events').countDocuments({ published: false });

  const http = {};
  const viewsBefore = await keysDb.collection('key_views').countDocuments({});
  let viewsAfter = viewsBefore;
  try {
    await closedLoop({ url, headers, connections: 2, durationMs: 500, method: 'POST', body: (i) => ({ kind: 'private', name: `bench warm-up ${i}`, permissions: ['devices:read'] }) });
    for (const c of CONCURRENCY) {
      const samples = [];
      for (let r = 0; r < runs; r++) {
        const res = await closedLoop({ url, headers, connections: c, durationMs, method: 'POST', body: (i) => ({ kind: 'private', name: `bench write ${c}-${r}-${i}`, permissions: ['devices:read'] }) });
        const bad = Object.entries(res.statuses).filter(([s]) => s !== '201');
        if (bad.length) throw new Error(`POST /v1/keys answered ${JSON.stringify(res.statuses)}`);
        // The relay publishes as the keys are created; how long after the last answer is the outbox empty?
        const t0 = performance.now();
        while ((await unpublished()) > 0) {
          if (performance.now() - t0 > 60_000) throw new Error('the outbox relay did not drain within 60 s');
          await sleep(10);
        }
        samples.push({ ...res, drainMs: performance.now() - t0 });
      }
      http[c] = samples;
      ctx.log(`[write] ${c} client(s): ${Math.round(median(samples.map((s) => s.throughput)))} creations/s`);
    }
    viewsAfter = await keysDb.collection('key_views').countDocuments({});
  } finally {
    await keysDb.close();
  }

  // Where the keys service's time goes while 8 clients create keys.
  const profiles = [];
  const profileFile = platform.profileFiles?.keys;
  const prof = await profileDuring(platform.process('keys'), profileFile,
    () => closedLoop({ url, headers, connections: 8, durationMs: ctx.quick ? 1000 : 5000, method: 'POST', body: (i) => ({ kind: 'private', name: `bench profile ${i}`, permissions: ['devices:read'] }) }),
    ['execute', 'append', 'save', 'load', 'drainOnce', 'handleBatch', 'canActivate', 'processTicksAndRejections']);
  if (prof?.analysis) {
    const a = prof.analysis;
    const bad = Object.entries(prof.result.statuses).filter(([s]) => s !== '201');
    if (bad.length) throw new Error(`POST /v1/keys answered ${JSON.stringify(prof.result.statuses)} while profiled`);
    profiles.push({
      title: `CPU profile of the keys service while 8 clients create keys (${profileFile.split('/').pop()}; ${Math.round(prof.result.throughput)} creations/s during it)`,
      analysis: a,
      reading: `the process was busy for ${a.samples} samples and idle for ${a.idleSamples} (${Math.round((100 * a.idleSamples) / Math.max(1, a.samples + a.idleSamples))} % idle): ` +
        'a mostly idle keys service means creations wait on the database (FerretDB), not on the service\'s own CPU.',
    });
  }

  const database = benchName('eventstore');
  const store = await runWorker('append', { mongodbUri: ctx.env.MONGODB_URI, database, concurrency: CONCURRENCY, durationMs, runs }, { log: ctx.verbose ? ctx.log : () => {} });

  const figures = [];
  const chartCats = [];
  const chart = { created: [], bare: [], appended: [] };
  for (const c of CONCURRENCY) {
    const s = store.results[String(c)];
    const rate = (xs) => median(xs.map((x) => (x.ops * 1000) / x.elapsedMs));
    const bareRate = rate(s.bare);
    const appendRate = rate(s.append);
    const created = median(http[c].map((x) => x.throughput));
    const createdLat = summarize(http[c].flatMap((x) => x.latencies));
    const bareLat = summarize(s.bare.flatMap((x) => x.latenciesMs));
    const appendLat = summarize(s.append.flatMap((x) => x.latenciesMs));
    const drain = Math.max(...http[c].map((x) => x.drainMs));
    const who = `${c} client${c > 1 ? 's' : ''}`;
    figures.push(
      { label: `key creations through the keys API, ${who}`, unit: 'keys/s', value: created, baseline: bareRate, ratio: ratio(created, bareRate), target: null, met: null },
      { label: `key creation latency p50, ${who}`, unit: 'ms', value: createdLat.p50, baseline: bareLat.p50, ratio: ratio(createdLat.p50, bareLat.p50), target: null, met: null },
      { label: `key creation latency p99, ${who}`, unit: 'ms', value: createdLat.p99, baseline: bareLat.p99, ratio: ratio(createdLat.p99, bareLat.p99), target: null, met: null },
      { label: `event-store appends, ${who}`, unit: 'appends/s', value: appendRate, baseline: bareRate, ratio: ratio(appendRate, bareRate), target: null, met: null },
      { label: `event-store append latency p50, ${who}`, unit: 'ms', value: appendLat.p50, baseline: bareLat.p50, ratio: ratio(appendLat.p50, bareLat.p50), target: null, met: null },
      { label: `event-store append latency p99, ${who}`, unit: 'ms', value: appendLat.p99, baseline: bareLat.p99, ratio: ratio(appendLat.p99, bareLat.p99), target: null, met: null },
      { label: `(info) outbox empty after the last creation, ${who}`, unit: 'ms', value: drain, baseline: null, ratio: null, target: null, met: null },
    );
    chartCats.push(who);
    chart.created.push(created);
    chart.appended.push(appendRate);
    chart.bare.push(bareRate);
  }
  return {
    description: `Closed loop, ${durationMs / 1000} s per run, ${runs} run(s) per concurrency. Key creations: \`POST /v1/keys\` (private key, one permission) ` +
      'with the admin key straight to the keys service, which loads the new stream, appends `KeyCreated` to its event store, writes its key view ' +
      'and answers; its outbox relay publishes to Kafka meanwhile (the figure "outbox empty after" is how long after the last answer no ' +
      'event was left unpublished). Appends: `MongoEventStore.append()` from `@keyward/event-store` in a process of its own, one new stream per ' +
      'append (expected version 0), on a fresh database.',
    baseline: 'a bare `insertOne` of a document of the same shape as a stored event (same size, same data) into a collection with only the ' +
      '`_id` index, on the same FerretDB, with the same concurrency, measured in the same process as the appends, right before them. ' +
      'No target was set for the write path; the figures are for reference.',
    figures,
    charts: [{ file: 'write-path.svg', title: 'Write path throughput', svg: barChart({
      title: 'Writes per second: key creations (API) and appends vs bare insertOne', unit: 'per second', categories: chartCats,
      series: [{ name: 'POST /v1/keys', values: chart.created }, { name: 'MongoEventStore.append', values: chart.appended }, { name: 'baseline: insertOne', values: chart.bare }],
      format: (v) => Math.round(v).toLocaleString('en-US'),
    }) }],
    profiles,
    notes: [
      `The keys service held ${viewsBefore} key views when the creations started and ${viewsAfter} when they ended. On this FerretDB ` +
        '(1.24, SQLite) a `replaceOne`/`updateOne` by `_id` and a `find` by `aggregateId` take time that grows with the collection (benchmark 4 ' +
        'times one at scale), so creations slow down as keys accumulate; MongoDB answers these from indexes.',
      'An append with 8 writers at once is much slower than with one: the position counter (`findOneAndUpdate` with `$inc` on one ' +
        'document) and the inserts serialize on FerretDB\'s SQLite, and the waits show in the p99.',
      'Two first appends at once on a fresh store can fail with E11000 on the position counter\'s upsert (seen here on FerretDB before the ' +
        'worker started making one append alone first): `MongoEventStore.allocatePositions` does not retry that race.',
    ],
    details: { viewsBefore, viewsAfter, http: Object.fromEntries(Object.entries(http).map(([c, s]) => [c, s.map(({ latencies: _l, ...x }) => x)])) },
  };
}
