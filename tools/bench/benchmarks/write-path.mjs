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
import { countKeyEvents, topUpKeyEvents } from '../lib/seed-store.mjs';

export const name = 'write';
export const title = '5. Write path';
export const needsPlatform = true;

const CONCURRENCY = [1, 8];

/** Events already stored in the keys service's event store while the creations are measured. */
const STORED = { quick: [1000, 10_000], full: [1000, 100_000] };

/**
 * What one key creation asks the keys service's database, each timed alone (median of 20) on its
 * real collections without changing anything that matters (probe ids nobody uses).
 */
async function createPathRoundTrips(keysDb) {
  const id = `key_probe${Date.now()}`;
  const ops = {
    'outbox marker: `events_outbox.insertOne`': (i) => keysDb.collection('events_outbox').insertOne({ _id: `${id}-${i}:0000000001`, at: 0, probe: true }),
    'the event: `events.insertOne`': (i) => keysDb.collection('bench_probe_events').insertOne({ _id: `${id}-${i}:0000000001`, probe: true }),
    'the key view: `key_views.insertOne`': (i) => keysDb.collection('bench_probe_views').insertOne({ _id: `${id}-${i}`, version: 1 }),
    'relay: `events_outbox.find({}).limit(500)`': () => keysDb.collection('events_outbox').find({}).limit(500).toArray(),
    'relay: `events_outbox.bulkWrite([deleteOne by _id])`': (i) => keysDb.collection('events_outbox').bulkWrite([{ deleteOne: { filter: { _id: `${id}-${i}:0000000001` } } }]),
  };
  const lines = ['| operation | ms (median of 20) |', '|---|---:|'];
  for (const [what, op] of Object.entries(ops)) {
    const ms = [];
    for (let k = 0; k < 20; k++) {
      const t0 = performance.now();
      await op(k);
      ms.push(performance.now() - t0);
    }
    lines.push(`| ${what} | ${median(ms).toFixed(2)} |`);
  }
  await keysDb.collection('bench_probe_events').drop().catch(() => {});
  await keysDb.collection('bench_probe_views').drop().catch(() => {});
  return lines;
}

export async function run(ctx) {
  const { platform } = ctx;
  const durationMs = ctx.quick ? 2000 : 10_000;
  const runs = ctx.quick ? 1 : 2;
  const stored = ctx.quick ? STORED.quick : STORED.full;
  const headers = bearer(platform.admin.secret);
  const url = `${platform.url('keys')}/v1/keys`;
  const keysDatabase = platform.database('keys');
  const keysDb = await mongoose.createConnection(ctx.env.MONGODB_URI, { dbName: keysDatabase }).asPromise();
  // The outbox holds only what is not published yet: an empty outbox is a drained relay.
  const unpublished = () => keysDb.collection('events_outbox').countDocuments({});

  /** http[storedEvents][clients] = samples */
  const http = {};
  const seeding = [];
  const roundTrips = {};
  let eventsNow = await countKeyEvents(ctx.env, keysDatabase);
  const viewsBefore = await keysDb.collection('key_views').countDocuments({});
  let viewsAfter = viewsBefore;
  try {
    const warm = await closedLoop({ url, headers, connections: 2, durationMs: 500, method: 'POST', body: (i) => ({ kind: 'private', name: `bench warm-up ${i}`, permissions: ['devices:read'] }) });
    eventsNow += warm.statuses['201'] ?? 0;
    for (const n of stored) {
      const seeded = await topUpKeyEvents(ctx.env, keysDatabase, n, ctx.verbose ? ctx.log : () => {}, eventsNow);
      seeding.push(seeded);
      eventsNow = seeded.after;
      ctx.log(`[write] ${eventsNow} events stored (seeded ${seeded.after - seeded.before} in ${Math.round(seeded.ms)} ms)`);
      http[n] = {};
      for (const c of CONCURRENCY) {
        const samples = [];
        for (let r = 0; r < runs; r++) {
          const res = await closedLoop({ url, headers, connections: c, durationMs, method: 'POST', body: (i) => ({ kind: 'private', name: `bench write ${n}-${c}-${r}-${i}`, permissions: ['devices:read'] }) });
          const bad = Object.entries(res.statuses).filter(([st]) => st !== '201');
          if (bad.length) throw new Error(`POST /v1/keys answered ${JSON.stringify(res.statuses)}`);
          // The relay publishes as the keys are created; how long after the last answer is the outbox empty?
          const t0 = performance.now();
          while ((await unpublished()) > 0) {
            if (performance.now() - t0 > 60_000) throw new Error('the outbox relay did not drain within 60 s');
            await sleep(10);
          }
          samples.push({ ...res, drainMs: performance.now() - t0, storedBefore: eventsNow });
          eventsNow += res.statuses['201'] ?? 0;
        }
        http[n][c] = samples;
        ctx.log(`[write] ${n} events stored, ${c} client(s): ${Math.round(median(samples.map((x) => x.throughput)))} creations/s`);
      }
      roundTrips[n] = await createPathRoundTrips(keysDb);
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
  const chart = { created: [], createdFull: [], bare: [], appended: [] };
  const [few, many] = stored;
  for (const c of CONCURRENCY) {
    const s = store.results[String(c)];
    const rate = (xs) => median(xs.map((x) => (x.ops * 1000) / x.elapsedMs));
    const bareRate = rate(s.bare);
    const appendRate = rate(s.append);
    const createdFew = median(http[few][c].map((x) => x.throughput));
    const created = median(http[many][c].map((x) => x.throughput));
    const latFew = summarize(http[few][c].flatMap((x) => x.latencies));
    const createdLat = summarize(http[many][c].flatMap((x) => x.latencies));
    const bareLat = summarize(s.bare.flatMap((x) => x.latenciesMs));
    const appendLat = summarize(s.append.flatMap((x) => x.latenciesMs));
    const drain = Math.max(...http[many][c].map((x) => x.drainMs));
    const who = `${c} client${c > 1 ? 's' : ''}`;
    const target = c === 1 ? 200 : 600;
    const manyLabel = many.toLocaleString('en-US');
    const fewLabel = few.toLocaleString('en-US');
    figures.push(
      { label: `key creations through the keys API, ${who}, ${manyLabel} events stored`, unit: 'keys/s', value: created, baseline: bareRate, ratio: ratio(created, bareRate), target: `≥ ${target}/s`, met: created >= target },
      { label: `key creations through the keys API, ${who}, ${fewLabel} events stored`, unit: 'keys/s', value: createdFew, baseline: bareRate, ratio: ratio(createdFew, bareRate), target: null, met: null },
      { label: `key creation latency p50, ${who}: ${manyLabel} events stored vs ${fewLabel}`, unit: 'ms', value: createdLat.p50, baseline: latFew.p50, ratio: ratio(createdLat.p50, latFew.p50), target: '≤ 1.5× (flat)', met: ratio(createdLat.p50, latFew.p50) <= 1.5 },
      { label: `key creation latency p99, ${who}, ${manyLabel} events stored`, unit: 'ms', value: createdLat.p99, baseline: bareLat.p99, ratio: ratio(createdLat.p99, bareLat.p99), target: null, met: null },
      { label: `event-store appends, ${who}`, unit: 'appends/s', value: appendRate, baseline: bareRate, ratio: ratio(appendRate, bareRate), target: null, met: null },
      { label: `event-store append latency p50, ${who}`, unit: 'ms', value: appendLat.p50, baseline: bareLat.p50, ratio: ratio(appendLat.p50, bareLat.p50), target: null, met: null },
      { label: `event-store append latency p99, ${who}`, unit: 'ms', value: appendLat.p99, baseline: bareLat.p99, ratio: ratio(appendLat.p99, bareLat.p99), target: null, met: null },
      { label: `(info) outbox empty after the last creation, ${who}, ${manyLabel} events stored`, unit: 'ms', value: drain, baseline: null, ratio: null, target: null, met: null },
    );
    chartCats.push(who);
    chart.created.push(createdFew);
    chart.createdFull.push(created);
    chart.appended.push(appendRate);
    chart.bare.push(bareRate);
  }
  const roundTripTables = stored.map((n) => [`**The database round trips of one key creation and of the relay**, each timed alone with ${n.toLocaleString('en-US')} events stored ` +
    '(the create path makes the first five in order; the relay then reads the outbox, publishes, repairs nothing it wrote itself, and deletes the marker):', '', ...roundTrips[n]]);
  return {
    description: `Closed loop, ${durationMs / 1000} s per run, ${runs} run(s) per concurrency, first with ${few.toLocaleString('en-US')} events stored in the ` +
      `keys service's event store, then with ${many.toLocaleString('en-US')} (topped up with published key streams of four events each, written in the ` +
      'store\'s layout: see `tools/bench/lib/seed-store.mjs`). Key creations: `POST /v1/keys` (private key, one permission) ' +
      'with the admin key straight to the keys service, which writes the outbox marker (the new id is made up there, so there is no ' +
      'stream to load), then the `KeyCreated` event and the key view at once, and answers; its outbox relay publishes to ' +
      'Kafka meanwhile (the figure "outbox empty after" is how long after the last answer nothing was left unpublished). Appends: ' +
      '`MongoEventStore.append()` from `@keyward/event-store` in a process of its own, one new stream per append (expected version 0), on a fresh database.',
    baseline: 'a bare `insertOne` of a document of the same shape as a stored event (same size, same data) into a collection with only the ' +
      '`_id` index, on the same FerretDB, with the same concurrency, measured in the same process as the appends, right before them; for ' +
      `the flatness figure, the creation p50 with ${few.toLocaleString('en-US')} events stored.`,
    tables: roundTripTables,
    figures,
    charts: [{ file: 'write-path.svg', title: 'Write path throughput', svg: barChart({
      title: 'Writes per second: key creations (API) and appends vs bare insertOne', unit: 'per second', categories: chartCats,
      series: [{ name: `POST /v1/keys, ${few} events stored`, values: chart.created }, { name: `POST /v1/keys, ${many} events stored`, values: chart.createdFull }, { name: 'MongoEventStore.append', values: chart.appended }, { name: 'baseline: insertOne', values: chart.bare }],
      format: (v) => Math.round(v).toLocaleString('en-US'),
    }) }],
    profiles,
    notes: [
      `The keys service held ${viewsBefore} key views when the creations started and ${viewsAfter} when they ended; the event store ` +
        `${seeding[0]?.before ?? 0} events before seeding and ${eventsNow} at the end. Every query of the create path and of the relay goes by ` +
        '`_id` (the only lookup the patched FerretDB answers from an index), so its cost does not depend on either.',
      'An append writes two documents (the outbox marker, then the event) and no counter; with 8 writers the inserts serialize on SQLite\'s ' +
        'single writer, which is what bounds the 8-client rate.',
    ],
    details: { viewsBefore, viewsAfter, seeding, http: Object.fromEntries(Object.entries(http).map(([n, byC]) => [n, Object.fromEntries(Object.entries(byC).map(([c, xs]) => [c, xs.map(({ latencies: _l, ...x }) => x)]))])) },
  };
}
