// 2. Propagation: from the keys API's answer to a disable or a rotation until each of the six
// services enforces it, against a bare kafkajs produce-to-consume round trip on the same broker.
import { performance } from 'node:perf_hooks';
import { bearer, request } from '../lib/http.mjs';
import { createEventTopic, kafkaClient, mongoose, Partitioners, PROBE_PATHS, SERVICES } from '../lib/platform.mjs';
import { sleep, waitFor } from '../lib/proc.mjs';
import { median, percentileCurve, ratio, summarize } from '../lib/stats.mjs';
import { percentileChart } from '../lib/svg.mjs';
import { countKeyEvents, topUpKeyEvents } from '../lib/seed-store.mjs';

export const name = 'propagation';
export const title = '2. Propagation of a key change to every service';
export const needsPlatform = true;

const POLL_MS = 2;
/** Events already in the keys service's event store while propagation is measured. */
const STORED = 100_000;
const STORED_QUICK = 2000;
const BOUND_MS = 10_000;

/** The service's probe route (PROBE_PATHS) with the key; the guard's answer status. */
async function answer(url, secret) {
  const service = SERVICE_OF_URL.get(url);
  return (await request(`${url}${PROBE_PATHS[service]}`, { headers: bearer(secret) })).status;
}

/** Which service a base URL is (filled by run()). */
const SERVICE_OF_URL = new Map();

/** Polls one service every POLL_MS until it answers `status`; ms since `since`. */
async function until(url, secret, status, since) {
  for (;;) {
    if ((await answer(url, secret)) === status) return performance.now() - since;
    if (performance.now() - since > BOUND_MS) throw new Error(`${url} did not answer ${status} within ${BOUND_MS} ms`);
    await sleep(POLL_MS);
  }
}

/** Per service, in parallel: ms from `since` until it answers `status` to `secret`. */
function everywhere(platform, secret, status, since) {
  return Promise.all(SERVICES.map((s) => until(platform.url(s), secret, status, since)));
}

/** The wall clock with a sub-millisecond fraction, as the services stamp their applies (libs/projections applied-changes.ts). */
const epochNow = () => performance.timeOrigin + performance.now();

/**
 * Long polls every service's key projection (`GET /admin/projections/keys/applied/{id}?version=…&waitMs=…`)
 * for `version` of the key: resolves with each one's apply of it (`occurredAt`, `appliedAtMs`, …). Asked before the change is
 * sent, so nothing polls while it propagates; a service that applied it already answers at once.
 */
function appliedEverywhere(platform, keyId, version) {
  return Promise.all(SERVICES.map(async (s) => {
    const res = await request(`${platform.url(s)}/admin/projections/keys/applied/${keyId}?version=${version}&waitMs=${BOUND_MS}`,
      { headers: bearer(platform.operatorToken), timeoutMs: BOUND_MS + 5000 });
    if (res.status !== 200) throw new Error(`${s}: GET …/applied/${keyId} answered ${res.status} ${res.body.slice(0, 300)}`);
    const body = res.json();
    if (!body.applied) throw new Error(`${s} did not apply v${version} of ${keyId} within ${BOUND_MS} ms (holds v${body.version})`);
    if (!body.change) throw new Error(`${s} holds v${body.version} of ${keyId} but kept no apply time for it`);
    return body.change;
  }));
}

/** Each service must refuse (or accept) the key right after it applied the change: what the apply time claims, checked. */
async function enforcedEverywhere(platform, secret, status) {
  const got = await Promise.all(SERVICES.map((s) => answer(platform.url(s), secret)));
  const wrong = SERVICES.map((s, i) => `${s} answered ${got[i]}`).filter((_, i) => got[i] !== status);
  if (wrong.length) throw new Error(`the change was applied, but ${wrong.join(', ')} instead of ${status}`);
}

/** Records when each event of keys.events (by `aggregateId:version`) reaches a bare consumer. */
async function topicObserver(env, prefix) {
  const kafka = kafkaClient(env);
  const consumer = kafka.consumer({ groupId: `${prefix}bench-observer`, sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 500 });
  const arrivals = new Map();
  await consumer.connect();
  await consumer.subscribe({ topic: `${prefix}keys.events`, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const e = JSON.parse(message.value.toString());
      arrivals.set(`${e.aggregateId}:${e.version}`, performance.now());
    },
  });
  return {
    seen: (id) => arrivals.get(id),
    /** The arrival on the wall clock with a sub-millisecond fraction (epochNow), once it came. */
    arrivedAtEpoch: async (id) => performance.timeOrigin + await waitFor(`${id} on the topic`, () => arrivals.get(id), { timeoutMs: BOUND_MS, intervalMs: 5 }),
    /** ms from `since` until the event arrived (negative: it was on the topic before the API answered). */
    wait: async (id, since) => (await waitFor(`${id} on the topic`, () => arrivals.get(id), { timeoutMs: BOUND_MS, intervalMs: 5 })) - since,
    close: () => consumer.disconnect(),
  };
}

/**
 * What one outbox drain asks the keys service's database, each timed alone on its real
 * collections without changing anything (a lease other than the relay's; probe ids nobody uses).
 */
async function relayRoundTrips(env, database) {
  const conn = await mongoose.createConnection(env.MONGODB_URI, { dbName: database }).asPromise();
  try {
    const events = conn.collection('events');
    const count = await events.estimatedDocumentCount();
    const ops = {
      'lease (renewed at most every third of its time to live, not per drain): `leases.findOneAndUpdate` (upsert)': () => conn.collection('leases').findOneAndUpdate(
        { _id: 'bench-probe', $or: [{ owner: 'bench' }, { until: { $lte: new Date() } }] },
        { $set: { owner: 'bench', until: new Date(Date.now() + 10_000) } }, { upsert: true, returnDocument: 'after' }),
      'read the backlog: `events_outbox.find({}).limit(500)` (the outbox holds only unpublished markers)': () => conn.collection('events_outbox').find({}).limit(500).toArray(),
      'is a marker\'s event stored (only for events another process appended): `events.findOne({_id})`': () => events.findOne({ _id: 'bench-no-such-key:0000000001' }),
      'after publishing, the view repair (only for keys another process changed): `key_views.findOne({_id})`': () => conn.collection('key_views').findOne({ _id: 'bench-no-such-key' }),
      'delete the markers: `events_outbox.bulkWrite([deleteOne by _id])`': () => conn.collection('events_outbox').bulkWrite([{ deleteOne: { filter: { _id: 'bench-no-such-key:0000000001' } } }]),
    };
    const lines = [`**The outbox relay's database round trips** (keys service database, ${count} events ` +
      'stored; each timed alone, median of 10). For an event appended in the relay\'s own process that comes next on its stream (every event ' +
      'here) a drain makes the read of the lease (started beside the event\'s insert), the produce, and the delete; the read of the backlog is ' +
      'the poll\'s, once a second:', '',
      '| operation | ms |', '|---|---:|'];
    for (const [what, op] of Object.entries(ops)) {
      const ms = [];
      for (let k = 0; k < 10; k++) {
        const t0 = performance.now();
        await op();
        ms.push(performance.now() - t0);
      }
      lines.push(`| ${what} | ${median(ms).toFixed(2)} |`);
    }
    await conn.collection('leases').deleteOne({ _id: 'bench-probe' });
    return lines;
  } finally {
    await conn.close();
  }
}

/** A bare kafkajs round trip: one message produced (idempotent, acks=all, like the relay) until consumed. */
async function roundTripper(env, prefix) {
  const kafka = kafkaClient(env);
  const topic = `${prefix}bench.roundtrip`;
  await createEventTopic(kafka, topic);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  // The same consumer settings as the key projection's live consumer.
  const consumer = kafka.consumer({ groupId: `${prefix}bench-roundtrip`, sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 500 });
  const waiting = new Map();
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => { waiting.get(message.value.toString())?.(); } });
  let n = 0;
  const once = async () => {
    const id = `m${n++}`;
    const got = new Promise((r) => waiting.set(id, r));
    const t0 = performance.now();
    await producer.send({ topic, acks: -1, messages: [{ key: `key_${n % 17}`, value: id }] });
    await Promise.race([got, sleep(BOUND_MS).then(() => { throw new Error('round trip timed out'); })]);
    waiting.delete(id);
    return performance.now() - t0;
  };
  // The first message also waits for the group to be joined.
  await once();
  return { once, async close() { await consumer.disconnect(); await producer.disconnect(); } };
}

export async function run(ctx) {
  const { platform } = ctx;
  const changes = ctx.quick ? 10 : 200;
  const keysUrl = platform.url('keys');
  for (const s of SERVICES) SERVICE_OF_URL.set(platform.url(s), s);
  const admin = bearer(platform.admin.secret);
  const create = async (nameOf) => {
    // Without any probe's permission, the probe answers a cheap 403 from the guard while the key works,
    // and 401 once the change is enforced: no database read per poll slows the polling down.
    const res = await request(`${keysUrl}/v1/keys`, { method: 'POST', headers: admin, body: { kind: 'private', name: nameOf, permissions: ['sessions:create'] } });
    if (res.status !== 201) throw new Error(`creating a key answered ${res.status} ${res.body}`);
    const b = res.json();
    return { id: b.key.id, secret: b.secret, version: b.key.version };
  };
  const t0 = performance.now();
  const stage = (m) => ctx.verbose && ctx.log(`[propagation] ${m} at ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  // A bare consumer of keys.events, to split each change's time into "until it is on the topic"
  // (the keys service and its outbox relay) and the rest (the services' consumers, the polling).
  const observer = await topicObserver(ctx.env, platform.prefix);
  stage('observer joined');
  // Measured with history in the store: the keys service's event store topped up to STORED events.
  const seeded = await topUpKeyEvents(ctx.env, platform.database('keys'), ctx.quick ? STORED_QUICK : STORED, ctx.verbose ? ctx.log : () => {});
  stage(`${seeded.after} events stored (seeded ${seeded.after - seeded.before} in ${Math.round(seeded.ms)} ms)`);
  const eventsBefore = seeded.after;
  const toDisable = await create('bench propagation (disable)');
  let toRotate = await create('bench propagation (rotate)');
  for (const k of [toDisable, toRotate]) await waitFor('the bench keys to reach every service', async () => (await Promise.all(SERVICES.map((s) => answer(platform.url(s), k.secret)))).every((st) => st === 403), { timeoutMs: 30_000, intervalMs: 20 });

  await waitFor('the observer to see the bench keys', () => observer.seen(`${toRotate.id}:1`) !== undefined, { timeoutMs: 30_000, intervalMs: 10 });
  stage('bench keys known everywhere');
  const rt = await roundTripper(ctx.env, platform.prefix);
  stage('round-tripper joined');
  const onTopic = { disable: [], rotation: [] };
  const baseline = [];
  const disable = { all: [], perService: Object.fromEntries(SERVICES.map((s) => [s, []])) };
  const rotate = { all: [], perService: Object.fromEntries(SERVICES.map((s) => [s, []])) };
  const record = (into, times) => {
    into.all.push(Math.max(...times));
    times.forEach((t, i) => into.perService[SERVICES[i]].push(t));
  };
  /** How many changes a service had applied before the API's answer was read (counted as 0 ms in the answer-based rows). */
  const beforeAnswer = { disable: 0, rotation: 0 };
  /** From the API's answer, per service: applied before it is 0 (enforced before the client knew). */
  const fromAnswer = { disable: { all: [], perService: Object.fromEntries(SERVICES.map((s) => [s, []])) }, rotation: { all: [], perService: Object.fromEntries(SERVICES.map((s) => [s, []])) } };
  /** Records one change: from the event's occurredAt (the headline) and from the API's answer. */
  /** From the event's occurredAt until the bench's bare consumer had it: the keys service's part (two inserts, the relay) and one Kafka hop. */
  const occurredToTopic = { disable: [], rotation: [] };
  const recordChange = async (into, kind, { applies, sinceEpoch }, eventId) => {
    const occurred = Date.parse(applies[0].occurredAt);
    occurredToTopic[kind].push((await observer.arrivedAtEpoch(eventId)) - occurred);
    record(into, applies.map((c) => c.appliedAtMs - occurred));
    record(fromAnswer[kind], applies.map((c) => {
      if (c.appliedAtMs < sinceEpoch) beforeAnswer[kind]++;
      return Math.max(0, c.appliedAtMs - sinceEpoch);
    }));
  };
  // The method before the apply times, kept as a cross-check in the same run: every service polled every POLL_MS.
  const polledChanges = ctx.quick ? 3 : 40;
  const polled = { all: [], perService: Object.fromEntries(SERVICES.map((s) => [s, []])) };
  const change = async (key, what, path, body) => {
    const applied = appliedEverywhere(platform, key.id, key.version + 1);
    // Every long poll asked before the change: a poll still on its way would be answered from what was applied anyway.
    const res = await request(`${keysUrl}/v1/keys/${key.id}/${path}`, { method: 'POST', headers: admin, body });
    const sinceEpoch = epochNow();
    if (res.status !== 200) throw new Error(`${what} answered ${res.status} ${res.body}`);
    const answered = res.json();
    if (answered.key?.version !== key.version + 1 && answered.version !== key.version + 1) throw new Error(`${what} answered version ${answered.version ?? answered.key?.version}, expected ${key.version + 1}`);
    return { answered, sinceEpoch, applies: await applied };
  };
  try {
    for (let i = 0; i < changes; i++) {
      // Interleaved: a noisy moment hurts the baseline and the platform alike.
      baseline.push(await rt.once());

      const off = await change(toDisable, 'disable', 'disable', { reason: 'bench' });
      toDisable.version += 1;
      await recordChange(disable, 'disable', off, `${toDisable.id}:${toDisable.version}`);
      await enforcedEverywhere(platform, toDisable.secret, 401);
      onTopic.disable.push(await observer.wait(`${toDisable.id}:${toDisable.version}`, off.sinceEpoch - performance.timeOrigin));
      await change(toDisable, 'enable', 'enable', {});
      toDisable.version += 1;
      await enforcedEverywhere(platform, toDisable.secret, 403);

      const old = toRotate.secret;
      const rotation = await change(toRotate, 'rotate', 'rotate', { gracePeriodSeconds: 0 });
      toRotate = { id: toRotate.id, secret: rotation.answered.secret, version: toRotate.version + 1 };
      await recordChange(rotate, 'rotation', rotation, `${toRotate.id}:${toRotate.version}`);
      await enforcedEverywhere(platform, old, 401);
      onTopic.rotation.push(await observer.wait(`${toRotate.id}:${toRotate.version}`, rotation.sinceEpoch - performance.timeOrigin));
      if ((i + 1) % 50 === 0) ctx.log(`[propagation] ${i + 1}/${changes} changes of each kind`);
    }
    stage('apply times done; polled cross-check');
    for (let i = 0; i < polledChanges; i++) {
      let res = await request(`${keysUrl}/v1/keys/${toDisable.id}/disable`, { method: 'POST', headers: admin, body: { reason: 'bench' } });
      const since = performance.now();
      if (res.status !== 200) throw new Error(`disable answered ${res.status} ${res.body}`);
      record(polled, await everywhere(platform, toDisable.secret, 401, since));
      res = await request(`${keysUrl}/v1/keys/${toDisable.id}/enable`, { method: 'POST', headers: admin, body: {} });
      if (res.status !== 200) throw new Error(`enable answered ${res.status} ${res.body}`);
      await everywhere(platform, toDisable.secret, 403, performance.now());
      toDisable.version += 2;
    }
  } finally {
    await rt.close();
    await observer.close();
  }
  stage('done');

  const relayTable = await relayRoundTrips(ctx.env, platform.database('keys'));
  const eventsAfter = await countKeyEvents(ctx.env, platform.database('keys'));
  const b = summarize(baseline);
  const figures = [];
  // The figure: from the API's answer (the client's view, as this benchmark has always timed it) to every service's apply.
  for (const [what, kind] of [['disable', 'disable'], ['rotation', 'rotation']]) {
    const a = summarize(fromAnswer[kind].all);
    for (const q of ['p50', 'p99', 'max']) {
      const r = ratio(a[q], b[q]);
      figures.push({
        label: `${what} answered → applied by all six services (an apply before the answer counts 0): ${q} (${fromAnswer[kind].all.length} changes)`, unit: 'ms', value: a[q], baseline: b[q], ratio: r,
        target: q === 'p99' ? '< 50 ms and ≤ 3× baseline' : q === 'p50' ? '≤ 3× baseline' : null,
        met: q === 'p99' ? a.p99 < 50 && r <= 3 : q === 'p50' ? r <= 3 : null,
      });
    }
    figures.push({ label: `(info) ${what}: service applies that came before the API's answer was read, of ${changes * SERVICES.length}`,
      unit: 'applies', value: beforeAnswer[kind], baseline: null, ratio: null, target: null, met: null });
  }
  // Stricter: from the moment the keys service recorded the change, so its two inserts and its relay are inside.
  for (const [what, data] of [['disable', disable], ['rotation', rotate]]) {
    const s = summarize(data.all);
    for (const q of ['p50', 'p99', 'max']) {
      figures.push({
        label: `${what} recorded (its event's occurredAt; the keys service's inserts and relay included) → applied by all six services: ${q}`, unit: 'ms', value: s[q], baseline: b[q], ratio: ratio(s[q], b[q]),
        target: q === 'p99' ? '< 50 ms' : null, met: q === 'p99' ? s.p99 < 50 : null,
      });
    }
  }
  {
    const p = summarize(polled.all);
    for (const q of ['p50', 'p99']) {
      figures.push({ label: `(info) disable answered → all six answer 401, observed by polling each every ${POLL_MS} ms (the method before the apply times; ${polled.all.length} changes): ${q}`,
        unit: 'ms', value: p[q], baseline: b[q], ratio: ratio(p[q], b[q]), target: null, met: null });
    }
  }
  // Does it drift as the keys service's event store grows? The first tenth of the changes against the last.
  const tenth = Math.max(1, Math.floor(changes / 10));
  for (const [what, data] of [['disable', disable], ['rotation', rotate]]) {
    const first = summarize(data.all.slice(0, tenth)).p50;
    const last = summarize(data.all.slice(-tenth)).p50;
    figures.push({ label: `(info) ${what}: p50 of the last ${tenth} changes vs the first ${tenth}`, unit: 'ms', value: last, baseline: first, ratio: ratio(last, first), target: null, met: null });
  }
  for (const [what, xs] of [['disable', occurredToTopic.disable], ['rotation', occurredToTopic.rotation]]) {
    const s = summarize(xs);
    for (const q of ['p50', 'p99']) {
      figures.push({ label: `(info) ${what}: occurredAt → event on keys.events (bare consumer; the keys service's inserts and relay, one Kafka hop): ${q}`, unit: 'ms', value: s[q], baseline: b[q], ratio: ratio(s[q], b[q]), target: null, met: null });
    }
  }
  for (const [what, xs] of [['disable', onTopic.disable], ['rotation', onTopic.rotation]]) {
    const s = summarize(xs);
    figures.push({ label: `(info) ${what}: API answer → event on keys.events (bare consumer): p50`, unit: 'ms', value: s.p50, baseline: b.p50, ratio: ratio(s.p50, b.p50), target: null, met: null });
    figures.push({ label: `(info) ${what}: API answer → event on keys.events (bare consumer): p99`, unit: 'ms', value: s.p99, baseline: b.p99, ratio: ratio(s.p99, b.p99), target: null, met: null });
  }
  const perServiceTable = ['**Per service** (ms from the change\'s `occurredAt` until that service applied it; p50 / p99 / max):', '',
    '| service | disable p50 | disable p99 | disable max | rotation p50 | rotation p99 | rotation max |', '|---|---:|---:|---:|---:|---:|---:|'];
  for (const s of SERVICES) {
    const d = summarize(disable.perService[s]);
    const r = summarize(rotate.perService[s]);
    perServiceTable.push(`| ${s} | ${d.p50.toFixed(1)} | ${d.p99.toFixed(1)} | ${d.max.toFixed(1)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.max.toFixed(1)} |`);
  }
  const charts = [{
    file: 'propagation.svg',
    title: 'Propagation latency percentiles',
    svg: percentileChart({
      title: `Key change → enforced by all six services (${changes} of each), vs Kafka round trip`, unit: 'ms',
      series: [
        { name: 'disable', points: percentileCurve(disable.all) },
        { name: 'rotation', points: percentileCurve(rotate.all) },
        { name: 'API answer → on the topic', points: percentileCurve([...onTopic.disable, ...onTopic.rotation]) },
        { name: 'baseline: kafkajs round trip', points: percentileCurve(baseline) },
      ],
    }),
  }];
  return {
    description: `The six apps as their own processes on one topic prefix (each with its own database). For each of ${changes} disables ` +
      `(each followed by an enable, not measured) and ${changes} rotations (grace 0), each service's key projection stamps the moment it applied ` +
      'the change to the index its authorization reads; the bench reads the stamps with a long poll asked of all six before the change is sent ' +
      '(`GET /admin/projections/keys/applied/{id}?version=…&waitMs=…`), so nothing polls the services while it propagates (the clocks of one ' +
      'machine: `performance.timeOrigin + performance.now()` on both sides). Two clocks start: **answered**, when the bench has read the keys ' +
      'API\'s answer (the client\'s view, as this benchmark has always timed it, and the issue\'s figure; an apply before the answer counts 0 ms), ' +
      'and **recorded**, the event\'s `occurredAt` (stamped as the keys service decides, before it writes the outbox marker and the event: its ' +
      'two inserts and its relay are inside; millisecond resolution). Right after each change, each service is asked with the changed key on a ' +
      'key-guarded list route (`GET /v1/<its resource>?limit=1`; the edge\'s is the keys one) and must answer 401 (`key_disabled`, or ' +
      '`unknown_key` for a rotated-out secret): the run fails otherwise. The figure per change is the time until **all six** applied it (the ' +
      `slowest service); the per-service table (recorded clock) follows. As a cross-check, ${polledChanges} more disables are timed the way this ` +
      `benchmark did before the stamps: every service polled every ${POLL_MS} ms from the answer until it answers 401 (the polled keys hold ` +
      '`sessions:create` only, so before the change the guard answers 403 at once, without a database read).',
    baseline: 'a bare kafkajs round trip on the same broker: one message produced with an idempotent producer and acks=all (as the outbox relay ' +
      'sends) until a consumer with the key projection\'s settings (`maxWaitTimeInMs` 500, `eachMessage`) receives it; one round trip ' +
      'before each pair of changes, so both see the same noise.',
    figures,
    charts,
    tables: [perServiceTable, relayTable],
    notes: [
      'The path measured: the append → the outbox relay (woken by it; sends an append of its own process that comes next on its stream without reading the outbox first, then deletes the marker; ' +
        'renews its lease at most every third of its time to live) → Kafka → each service\'s key-projection consumer (applies the event to the ' +
        'in-memory index before persisting the view, and stamps the apply). The baseline has only the Kafka part. The "(info) … on keys.events" rows ' +
        'time the same changes as seen by a bare consumer of the topic in the bench process (itself one Kafka consumer hop, like the baseline): ' +
        'what is left to the services is the difference.',
      `The keys service's event store held ${eventsBefore} events before the first change (topped up with published key streams, ` +
        `\`tools/bench/lib/seed-store.mjs\`) and ${eventsAfter} after the last (each disable is followed by an enable, so three events per round). ` +
        'Every query of the relay goes by `_id` or reads the outbox (only the backlog), so none grows with the store; the "last vs first" rows show the drift.',
      `Why the apply times: the ${POLL_MS} ms polls of six services are a load of their own (each poll is an HTTP request a service answers ` +
        'beside its consumer), on a 2-core machine that also runs Kafka, FerretDB and the six apps; with them the figure measured the ' +
        'polling as much as the propagation (on 2026-12-03, polling every 10 ms instead of 2 halved the quick run\'s p50). The polled rows ' +
        'above are that method, in the same run.',
    ],
    details: {
      series: { disable: disable.all.map((x) => Math.round(x * 10) / 10), rotation: rotate.all.map((x) => Math.round(x * 10) / 10), baseline: baseline.map((x) => Math.round(x * 10) / 10) },
      eventsBefore, eventsAfter, baseline: b, disable: summarize(disable.all), rotation: summarize(rotate.all), onTopic: { disable: summarize(onTopic.disable), rotation: summarize(onTopic.rotation) } },
  };
}
