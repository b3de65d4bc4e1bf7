// 4. Replay: rebuilding a key projection from the topic, and a service's restart with the
// projection persisted, against a bare kafkajs consumer reading the same topic.
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyseProfile } from '../lib/cpu-profile.mjs';
import { bearer, request } from '../lib/http.mjs';
import { benchName, cleanUp, createEventTopic, kafkaClient, Partitioners, Platform, PROBE_PATHS } from '../lib/platform.mjs';
import { runWorker, sleep, step, waitFor } from '../lib/proc.mjs';
import { median, ratio } from '../lib/stats.mjs';
import { barChart } from '../lib/svg.mjs';

export const name = 'replay';
export const title = '4. Replay and restart';

const SERVICE = 'technicians';
const label = (n) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`);

/** ms from `since` until the service answers 401 to the token on its guarded route. */
async function until401(url, token, since, boundMs = 120_000) {
  for (;;) {
    const res = await request(`${url}${PROBE_PATHS[SERVICE]}`, { headers: bearer(token) });
    if (res.status === 401) return performance.now() - since;
    if (performance.now() - since > boundMs) throw new Error(`no 401 within ${boundMs} ms (last ${res.status})`);
    await sleep(2);
  }
}

/**
 * POST a rebuild of the key projection and poll its job until it ends: the swap time, the result.
 * The service has heap for two indexes of every key (the live one serves while the new one is read).
 */
async function rebuildToSwap(url, operatorToken, boundMs, proc) {
  const started = performance.now();
  const post = await request(`${url}/admin/projections/keys/rebuild`, { method: 'POST', headers: bearer(operatorToken) });
  if (post.status !== 202) throw new Error(`POST rebuild answered ${post.status} ${post.body.slice(0, 300)}`);
  let lastError;
  for (;;) {
    await sleep(500);
    if (proc.hasExited()) {
      throw new Error(`${proc.service} exited (${proc.child.exitCode ?? proc.child.signalCode}) during the rebuild:\n${proc.output().slice(-4000)}`);
    }
    // A poll that meets a reset connection (a keep-alive socket closed under it) is polled again.
    const res = await request(`${url}/admin/projections/keys/rebuild`, { headers: bearer(operatorToken) }).catch((e) => {
      lastError = e;
      return undefined;
    });
    const job = res?.status === 200 ? res.json() : undefined;
    if (job && job.state !== 'running') return { job, ms: performance.now() - started };
    if (performance.now() - started > boundMs) {
      throw new Error(`the rebuild did not end within ${boundMs} ms (last ${res ? `${res.status} ${res.body.slice(0, 200)}` : `error ${lastError?.message}`})`);
    }
  }
}

export async function run(ctx) {
  const events = ctx.events ?? (ctx.quick ? 10_000 : 1_000_000);
  const runs = ctx.quick ? 1 : 2;
  const platform = new Platform(ctx.env, ctx.log);
  platform.prefix = `${benchName('replay')}.`;
  const topic = `${platform.prefix}keys.events`;
  const emptyDb = platform.database(SERVICE);
  const fullDb = benchName(`${SERVICE}_full`);
  const kafka = kafkaClient(ctx.env);
  // The key projection's local snapshots of this benchmark's service (hundreds of MB at 1M keys), removed at the end.
  const snapshotDir = join(tmpdir(), `${benchName('replay-snapshots')}`);
  const snapshotEnv = { PROJECTION_SNAPSHOT_DIR: snapshotDir };
  try {
    await step('create the key topic', () => createEventTopic(kafka, topic));

    // Baseline for the restart: the same service restarted with an empty key topic (the first start
    // is a warm-up in a full run; a quick run takes the first start as the baseline).
    const emptyRestart = await step(`start ${SERVICE} with no keys`, async () => {
      if (!ctx.quick) {
        await platform.start(SERVICE, { extraEnv: snapshotEnv });
        await platform.stop(SERVICE);
      }
      const started = await platform.start(SERVICE, { extraEnv: snapshotEnv });
      await platform.stop(SERVICE);
      return started;
    });
    // The instance id the service keys its snapshot by: the documented default `<hostname>-<port>`
    // (and INSTANCE_ID set to the same, for when the configuration reads it).
    const instanceId = `${hostname()}-${platform.ports.get(SERVICE)}`;
    Object.assign(snapshotEnv, { INSTANCE_ID: instanceId });
    ctx.log(`[replay] restart with no keys: ready in ${(emptyRestart.readyMs / 1000).toFixed(1)} s; producing ${label(events)} KeyCreated events ...`);

    const produced = await step('produce the key events', () => runWorker('replay', { mode: 'produce', brokers: ctx.env.KAFKA_BROKERS, topic, events }, { log: ctx.verbose ? ctx.log : () => {} }));
    ctx.log(`[replay] produced ${label(events)} events in ${(produced.ms / 1000).toFixed(1)} s; reading them back ...`);
    const read = await step('read the key events back, persist the views and the snapshot', () => runWorker('replay', {
      mode: 'read', brokers: ctx.env.KAFKA_BROKERS, topic, events, runs, mongodbUri: ctx.env.MONGODB_URI, persistDatabase: fullDb,
      profileFile: join(ctx.outDir, `replay-rebuild-${label(events)}.cpuprofile`),
      snapshot: { dir: snapshotDir, service: SERVICE, instanceId, topic },
    }, { nodeArgs: ['--max-old-space-size=8192'], log: ctx.verbose ? ctx.log : () => {} }));
    if (read.keys !== events) throw new Error(`the rebuilt index holds ${read.keys} keys, expected ${events}`);

    ctx.log(`[replay] ${label(events)} views persisted; restarting ${SERVICE} on them ...`);
    platform.databases.set(SERVICE, fullDb);
    const bigHeap = { NODE_OPTIONS: '--max-old-space-size=8192' };
    const fullRestart = await step(`restart ${SERVICE} on the persisted keys`, () => platform.start(SERVICE, { extraEnv: { ...bigHeap, ...snapshotEnv }, readyTimeoutMs: 45 * 60_000 }));
    const url = platform.url(SERVICE);
    const status = await step('ask the restarted service for its projections', () => request(`${url}/admin/projections`, { headers: bearer(platform.operatorToken) }));
    if (status.status !== 200) throw new Error(`the restarted service answered ${status.status} ${status.body.slice(0, 300)}`);
    const keysProjection = status.json().projections.find((p) => p.name === 'keys');
    if (keysProjection?.items !== events) throw new Error(`the restarted service holds ${keysProjection?.items} keys, expected ${events}`);
    // The figure is the snapshot path's: a restart that fell back to the database would measure the old one.
    if (keysProjection.snapshot?.loadedFrom !== 'snapshot') throw new Error(`the restart did not load the snapshot: ${JSON.stringify(keysProjection.snapshot)}`);
    const snapshotLoad = keysProjection.snapshot.loaded;

    // Two changes back to back on the service holding every key: the first is applied in memory at
    // once; the second waits until the first one's view is written to the database.
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await step('connect a producer', () => producer.connect());
    const disabled = (p) => ({ key: p.id, value: JSON.stringify({
      id: randomUUID(), type: 'KeyDisabled', schemaVersion: 1, aggregateId: p.id, accountId: p.accountId, version: 2,
      occurredAt: new Date().toISOString(), data: { by: 'key_bench', reason: 'bench' },
    }) });
    const [a, b] = produced.probes;
    const sentA = performance.now();
    // Retried on a broker error (a busy broker has answered "does not host this topic-partition"); a
    // repeated KeyDisabled is a duplicate to the projection.
    const send = (what, message) => waitFor(what, async () => {
      await producer.send({ topic, acks: -1, messages: [message] });
      return true;
    }, { timeoutMs: 60_000, intervalMs: 200 });
    await send('the first KeyDisabled sent', disabled(a));
    const pa = until401(url, a.token, sentA);
    const sentB = performance.now();
    await send('the second KeyDisabled sent', disabled(b));
    const [firstMs, secondMs] = await step('wait for the two disabled keys to answer 401', () => Promise.all([pa, until401(url, b.token, sentB)]));
    await producer.disconnect();

    // Issue 10: a full rebuild of every key event through the operator route, to the swap, on the
    // service holding them all (its heap sized for two indexes).
    ctx.log(`[replay] rebuilding ${SERVICE}'s key projection (${label(events)} events) through POST /admin/projections/keys/rebuild ...`);
    const rebuilt = await step('rebuild the key projection to the swap', () => rebuildToSwap(url, platform.operatorToken, 40 * 60_000, platform.process(SERVICE)));
    const rebuildJob = rebuilt.job;
    if (rebuildJob.state !== 'succeeded') throw new Error(`the rebuild ended ${rebuildJob.state}: ${rebuildJob.error}`);
    ctx.log(`[replay] rebuild swapped after ${(rebuildJob.result.swappedAfterMs / 1000).toFixed(1)} s, finished in ${(rebuildJob.result.durationMs / 1000).toFixed(1)} s`);
    await platform.stop(SERVICE);

    // The old path in the same run: the same restart with snapshots off, every view read from the database.
    let databaseRestart;
    if (process.env.BENCH_SKIP_DATABASE_RESTART !== '1') {
      ctx.log(`[replay] restarting ${SERVICE} without its snapshot (every view from the database: the old path) ...`);
      databaseRestart = await step(`restart ${SERVICE} without its snapshot`, async () => {
        const started = await platform.start(SERVICE, { extraEnv: { ...bigHeap, PROJECTION_SNAPSHOT_DIR: '' }, readyTimeoutMs: 45 * 60_000 });
        await platform.stop(SERVICE);
        return started;
      });
    }

    const rate = (runsOf) => median(runsOf.map((r) => (r.events * 1000) / r.streamMs));
    const rebuildRate = rate(read.rebuild);
    const bareRate = rate(read.bare);
    const rebuildTotal = median(read.rebuild.map((r) => r.totalMs)) / 1000;
    const bareTotal = median(read.bare.map((r) => r.totalMs)) / 1000;
    const upsert = median(read.upsertMs);
    const find = median(read.findMs);
    const figures = [
      { label: `rebuild from ${label(events)} key events: events/s (TopicReader + KEY_EVENTS.parse + KeyIndex)`, unit: 'events/s', value: rebuildRate, baseline: bareRate,
        ratio: ratio(rebuildRate, bareRate), target: '≥ 0.5× baseline', met: ratio(rebuildRate, bareRate) >= 0.5 },
      { label: `(info) rebuild read of ${label(events)} events, including the consumer group join`, unit: 's', value: rebuildTotal, baseline: bareTotal,
        ratio: ratio(rebuildTotal, bareTotal), target: null, met: null },
      { label: `restart to ready with ${label(events)} keys persisted (${SERVICE}, from its snapshot)`, unit: 's', value: fullRestart.readyMs / 1000, baseline: emptyRestart.readyMs / 1000,
        ratio: ratio(fullRestart.readyMs, emptyRestart.readyMs), target: '< 15 s', met: fullRestart.readyMs < 15_000 },
      ...(databaseRestart ? [{ label: `(info) the same restart without the snapshot (every view from the database, the old path), against the one from the snapshot`, unit: 's',
        value: databaseRestart.readyMs / 1000, baseline: fullRestart.readyMs / 1000, ratio: ratio(databaseRestart.readyMs, fullRestart.readyMs), target: null, met: null }] : []),
      { label: `full rebuild of ${label(events)} key events to the swap (POST /admin/projections/keys/rebuild on ${SERVICE} holding them)`, unit: 's',
        value: rebuildJob.result.swappedAfterMs / 1000, baseline: bareTotal, ratio: ratio(rebuildJob.result.swappedAfterMs / 1000, bareTotal),
        target: 'finishes and swaps', met: rebuildJob.state === 'succeeded' && rebuildJob.swapped === true },
      { label: `(info) one view upsert (replaceOne by _id, as the live consumer writes) with ${label(events)} views persisted`, unit: 'ms', value: upsert, baseline: find,
        ratio: ratio(upsert, find), target: null, met: null },
      { label: `change enforced by a service holding ${label(events)} keys: a second change right behind a first`, unit: 'ms', value: secondMs, baseline: firstMs,
        ratio: ratio(secondMs, firstMs), target: '< 50 ms (as benchmark 2)', met: secondMs < 50 },
    ];
    const profiles = [];
    if (read.profiled) {
      const file = join(ctx.outDir, `replay-rebuild-${label(events)}.cpuprofile`);
      profiles.push({
        title: `CPU profile of an extra rebuild read of ${label(events)} events (${file.split('/').pop()}; not one of the timed runs)`,
        analysis: analyseProfile(file, { inclusive: ['parseEnvelope', 'apply', 'evolveKeyView', 'indexKey', 'compileAllowList', 'parse', 'decode', 'decodeMessages'] }),
        reading: 'the rebuild\'s own work per event is `KEY_EVENTS.parse` (JSON.parse and the check of the envelope) and `KeyIndex.apply` (`evolveKeyView` copies ' +
          'the view, `indexKey` builds the permission Set, compiles the allow-list, freezes the granted outcome); the rest is kafkajs fetching and ' +
          'decoding, which the baseline does too.',
      });
    }
    return {
      profiles,
      description: `${label(events)} \`KeyCreated\` envelopes (keyed by key id; 3 partitions) produced straight onto a fresh \`keys.events\` topic with a ` +
        `kafkajs producer in batches of 1,000. Rebuild: what \`KeyProjection.rebuild()\` does before its swap — \`TopicReader\` from \`@keyward/projections\` ` +
        `reading from the start with a throw-away group, each message through \`KEY_EVENTS.parse\` into a fresh \`KeyIndex\` — driven directly in a ` +
        `process of its own, ${runs} run(s) interleaved with the baseline; the rate is events ÷ time from the first batch to the last event (the group ` +
        'join is shown separately). Restart: the rebuilt index persisted into a fresh database ' +
        `of ${SERVICE} as its key projection stores it (one document per view, \`insertMany\`; ${(read.persistMs / 1000).toFixed(1)} s), with the ` +
        `checkpoint at the topic's end, and its local snapshot written beside it by the projection's own \`writeSnapshotFile\` from \`KeyIndex.capture()\` ` +
        `at the same offsets (${read.snapshot ? `${(read.snapshot.ms / 1000).toFixed(1)} s, ${Math.round(read.snapshot.bytes / 1048576)} MiB` : 'not written'}); ` +
        `then ${SERVICE} is started on it and the time from spawn to \`/ready\` 200 is measured (verify and load the snapshot, join the group, ` +
        'find nothing new); /admin/projections must say it loaded from the snapshot. The old path, in the same run: the same restart with ' +
        '`PROJECTION_SNAPSHOT_DIR=` (snapshots off: every view read from the database). Rebuild to the swap: `POST /admin/projections/keys/rebuild` ' +
        `on the service holding every key (heap 8 GiB, for two indexes), its job polled every 0.5 s until it ends; \`swappedAfterMs\` is from the start of the job to the swap.`,
      baseline: 'reading: a bare kafkajs consumer of a fresh group with TopicReader\'s fetch settings reading the same topic from the start and ' +
        `doing nothing with a batch. Restart: the same service restarted on an empty key topic. The view upsert is compared with a \`findOne\` by ` +
        '`_id` on the same collection (on this FerretDB, 1.24 with SQLite, both grow with the size of the collection). ' +
        'The back-to-back changes are compared with the first of the two. The rebuild to the swap is compared with the bare consumer\'s read ' +
          'of the same topic (including its group join). The old restart path is compared with the one from the snapshot.',
      figures,
      charts: [{ file: 'replay.svg', title: 'Replay read rate', svg: barChart({
        title: `Reading ${label(events)} key events: events per second (first batch to last event)`, unit: 'events/s', categories: ['rate'],
        series: [{ name: 'rebuild (TopicReader + KeyIndex)', values: [rebuildRate] }, { name: 'baseline: bare consumer', values: [bareRate] }],
        format: (v) => Math.round(v).toLocaleString('en-US'),
      }) }],
      notes: [
        `Producing the ${label(events)} events took ${(produced.ms / 1000).toFixed(1)} s; persisting the views with insertMany ${(read.persistMs / 1000).toFixed(1)} s.`,
        `The restart loaded the snapshot of ${snapshotLoad?.items} keys in ${((snapshotLoad?.ms ?? 0) / 1000).toFixed(1)} s (read, verified, indexed); ` +
          `the rest of its ${(fullRestart.readyMs / 1000).toFixed(1)} s is the service's start and the group join (the empty restart: ${(emptyRestart.readyMs / 1000).toFixed(1)} s).`,
        `The rebuild: ${rebuildJob.result.applied} events applied, swapped after ${(rebuildJob.result.swappedAfterMs / 1000).toFixed(1)} s, done after ` +
          `${(rebuildJob.result.durationMs / 1000).toFixed(1)} s, matchedLive ${rebuildJob.result.matchedLive}, ${rebuildJob.result.viewsWritten} views written.`,
        `The back-to-back changes: the first was enforced after ${firstMs.toFixed(1)} ms, the second after ${secondMs.toFixed(1)} ms. The live consumer applies ` +
          'an event in memory, then writes the changed views and the checkpoint before it takes the next batch; on FerretDB that write costs ' +
          'about the upsert figure above at this size.',
      ],
      details: { produced: { events: produced.events, ms: produced.ms }, read: { bare: read.bare, rebuild: read.rebuild, persistMs: read.persistMs, upsertMs: read.upsertMs, findMs: read.findMs },
        restart: { emptyMs: emptyRestart.readyMs, fullMs: fullRestart.readyMs, databaseMs: databaseRestart?.readyMs ?? null, snapshot: read.snapshot ?? null, snapshotLoad },
        backToBack: { firstMs, secondMs }, rebuild: { job: rebuildJob, pollMs: rebuilt.ms } },
    };
  } finally {
    await platform.close({ dropDatabases: false });
    // A cleanup that meets a busy broker leaves a topic behind; it does not fail the measurements.
    await cleanUp(ctx.env, { databases: [emptyDb, fullDb], topicPrefix: platform.prefix })
      .catch((e) => ctx.log(`[replay] cleaning up ${platform.prefix}*: ${e.message} (left behind)`));
    rmSync(snapshotDir, { recursive: true, force: true });
  }
}
