// 6. Scale-out (issue 13): edge throughput with 2 instances of keys behind it against 1. Both
// edges and both keys instances run on this 2-core machine with Kafka, FerretDB, the other apps
// and the load generator, so the ratio says what the machine allows, and the CPU each process
// used during the runs says what limits it.
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { bearer } from '../lib/http.mjs';
import { closedLoop } from '../lib/load.mjs';
import { freePort } from '../../infra/lib/proc.mjs';
import { waitReady } from '../lib/platform.mjs';
import { spawnService } from '../lib/proc.mjs';
import { median, ratio } from '../lib/stats.mjs';
import { barChart } from '../lib/svg.mjs';

export const name = 'scale';
export const title = '6. Scale-out: edge throughput over 2 keys instances vs 1';
export const needsPlatform = true;

const PATH = '/v1/keys?limit=1';
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/**
 * The pid of the FerretDB that serves `mongoUri` (found by its listen port in /proc), or undefined
 * (another database, or not on this machine): every keys instance shares it, so it is part of what
 * a second instance can or cannot scale.
 */
function databasePid(mongoUri) {
  const port = /:(\d+)\//.exec(mongoUri)?.[1];
  if (!port) return undefined;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmd.includes('ferretdb') && cmd.includes(`:${port}`)) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

async function measured(procs, run) {
  const before = procs.map((p) => cpuSeconds(p.pid));
  const bench0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await run();
  const seconds = (performance.now() - t0) / 1000;
  const bench = process.cpuUsage(bench0);
  const cpu = Object.fromEntries(procs.map((p, i) => [p.label, (cpuSeconds(p.pid) - before[i]) / seconds]));
  cpu['load generator'] = (bench.user + bench.system) / 1e6 / seconds;
  return { result, cpu };
}

function ok(result, what) {
  const bad = Object.entries(result.statuses).filter(([s]) => s !== '200');
  if (bad.length) throw new Error(`${what}: answers other than 200: ${JSON.stringify(result.statuses)}`);
}

export async function run(ctx) {
  const { platform } = ctx;
  const headers = bearer(platform.admin.secret);
  const runs = ctx.quick ? 1 : 3;
  const durationMs = ctx.quick ? 1500 : 8000;
  const connections = 32;
  const started = [];
  try {
    // A second keys instance: the same configuration and database, its own port (and so INSTANCE_ID).
    const keys2Port = await freePort();
    const keys2 = spawnService('keys', platform.serviceEnv('keys', { PORT: String(keys2Port) }));
    started.push(keys2);
    await waitReady(keys2, `http://127.0.0.1:${keys2Port}`);
    // Two edges alike but for KEYS_URL: one in front of one keys instance, one in front of both (balanced
    // by the edge). Their per-instance bound is raised past the connections, so saturation is measured, not shedding.
    const bounds = { UPSTREAM_MAX_IN_FLIGHT: String(2 * connections), UPSTREAM_MAX_QUEUE_WAIT_MS: '1000' };
    const edge1Port = await freePort();
    const edge1 = spawnService('edge', platform.serviceEnv('edge', { ...bounds, PORT: String(edge1Port), KEYS_URL: platform.url('keys') }));
    started.push(edge1);
    await waitReady(edge1, `http://127.0.0.1:${edge1Port}`);
    const edge2Port = await freePort();
    const edge2 = spawnService('edge', platform.serviceEnv('edge', { ...bounds, PORT: String(edge2Port), KEYS_URL: `${platform.url('keys')},http://127.0.0.1:${keys2Port}` }));
    started.push(edge2);
    await waitReady(edge2, `http://127.0.0.1:${edge2Port}`);
    const one = `http://127.0.0.1:${edge1Port}${PATH}`;
    const two = `http://127.0.0.1:${edge2Port}${PATH}`;
    for (const url of [one, two]) ok(await closedLoop({ url, headers, connections: 8, durationMs: ctx.quick ? 500 : 2000 }), 'warm-up');

    const db = databasePid(platform.env.MONGODB_URI);
    const database = db === undefined ? [] : [{ label: 'FerretDB', pid: db }];
    const keys1 = { label: 'keys #1', pid: platform.process('keys').child.pid };
    const procs1 = [{ label: 'edge', pid: edge1.child.pid }, keys1, ...database];
    const procs2 = [{ label: 'edge', pid: edge2.child.pid }, keys1, { label: 'keys #2', pid: keys2.child.pid }, ...database];
    const tp = { one: [], two: [] };
    const cpu = { one: [], two: [] };
    for (let r = 0; r < runs; r++) {
      const a = await measured(procs1, () => closedLoop({ url: one, headers, connections, durationMs }));
      ok(a.result, 'edge over 1 keys instance');
      const b = await measured(procs2, () => closedLoop({ url: two, headers, connections, durationMs }));
      ok(b.result, 'edge over 2 keys instances');
      tp.one.push(a.result.throughput);
      tp.two.push(b.result.throughput);
      cpu.one.push(a.cpu);
      cpu.two.push(b.cpu);
    }
    // How the balancing edge saw the two instances at the end (up, its adaptive limit, ejections, retries).
    const seen = await upstreamView(`http://127.0.0.1:${edge2Port}`, platform.operatorToken);
    const oneSat = median(tp.one);
    const twoSat = median(tp.two);
    const cores = (list) => Object.fromEntries(Object.keys(list[0]).map((k) => [k, Math.round(100 * median(list.map((c) => c[k]))) / 100]));
    const cpuOne = cores(cpu.one);
    const cpuTwo = cores(cpu.two);
    const total = (c) => Math.round(100 * Object.values(c).reduce((a, b) => a + b, 0)) / 100;
    ctx.log(`[scale] edge over 1 keys: ${Math.round(oneSat)} req/s (cores ${JSON.stringify(cpuOne)}); over 2: ${Math.round(twoSat)} req/s (cores ${JSON.stringify(cpuTwo)}); the edge's view: ${seen.join('; ')}`);
    const figures = [
      { label: 'edge throughput over 2 keys instances', unit: 'req/s', value: twoSat, baseline: oneSat, ratio: ratio(twoSat, oneSat),
        target: 'report the ratio (2 cores: see what limits it)', met: null },
      { label: 'cores used, edge over 1 keys instance (edge + keys + FerretDB + load generator)', unit: 'cores', value: total(cpuOne), baseline: null, ratio: null, target: null, met: null },
      { label: 'cores used, edge over 2 keys instances (edge + keys ×2 + FerretDB + load generator)', unit: 'cores', value: total(cpuTwo), baseline: null, ratio: null, target: null, met: null },
    ];
    return {
      description: `\`GET ${PATH}\` with the admin key, ${connections} keep-alive connections, closed loop, ${durationMs / 1000} s per run, ` +
        `${runs} run(s) alternating, median: through an edge whose KEYS_URL lists two keys instances (same configuration and database, ` +
        'each its own process) against an edge alike in front of one. CPU per process from /proc during each run (cores: 1.0 = one ' +
        'core busy the whole run), the load generator\'s from process.cpuUsage().',
      baseline: 'the same request through an edge in front of one keys instance, in the same run.',
      figures,
      notes: [limitNote(cpuTwo, total(cpuTwo)), `The balancing edge's view of the keys instances after the runs: ${seen.join('; ') || 'none'}.`],
      charts: [{ file: 'scale-edge-throughput.svg', title: 'Edge throughput over 1 and 2 keys instances', svg: barChart({
        title: `GET ${PATH}, ${connections} connections: requests per second`, unit: 'req/s',
        categories: tp.one.map((_, i) => `run ${i + 1}`),
        series: [{ name: 'edge over 2 keys instances', values: tp.two }, { name: 'baseline: edge over 1', values: tp.one }],
        format: (v) => Math.round(v).toLocaleString('en-US'),
      }) }],
      details: { throughput: tp, cpu: { one: cpuOne, two: cpuTwo }, edgeView: seen },
    };
  } finally {
    await Promise.all(started.map((p) => p.stop()));
  }
}

/** What the CPU of the processes during the runs over two instances says limits the ratio. */
function limitNote(cpu, cores) {
  const keys = [cpu['keys #1'], cpu['keys #2']];
  const used = `with 2 keys instances the processes used ${cores} of ${cpus().length} cores (edge ${cpu.edge}, keys ${keys.join(' + ')}` +
    `${cpu.FerretDB === undefined ? '' : `, FerretDB ${cpu.FerretDB}`}, load generator ${cpu['load generator']})`;
  let why;
  if (cpu.edge >= 0.85) why = 'the edge, one Node process on one core, is the bottleneck: a second keys instance cannot raise what one edge forwards; more edges (behind a load balancer) would.';
  else if ((cpu.FerretDB ?? 0) >= 0.85) why = 'the database both instances share is the bottleneck (FerretDB on SQLite answers one query at a time on one core): a second keys instance adds no database capacity.';
  else if (cores >= 0.9 * cpus().length) why = 'the cores are the limit: a second keys instance only splits the same CPU between two processes, so the ratio stays near 1; on a machine with a core per process it would grow with the instances.';
  else why = 'no core is saturated: each request waits on the database both instances share (GET /v1/keys reads it), so a second instance adds no capacity; a read path served from memory, or a database that scales, would.';
  const uneven = Math.min(...keys) < 0.25 * Math.max(...keys)
    ? ' The two instances did not share the work evenly (CPU above): see the edge\'s `edge_upstream_*` metrics and `/ready` of each instance during a run.'
    : '';
  return `What limits it: ${used}; ${why}${uneven}`;
}

/** The edge's `edge_upstream_*` series of keys (up, limit, ejections, retries), from its /metrics. */
async function upstreamView(edgeUrl, operatorToken) {
  try {
    const res = await fetch(`${edgeUrl}/metrics`, { headers: { authorization: `Bearer ${operatorToken}` } });
    const text = await res.text();
    return text.split('\n').filter((l) => /^edge_upstream_(up|limit|ejections_total|retries_total)\{[^}]*service="keys"/.test(l));
  } catch (e) {
    return [`/metrics unreadable: ${e instanceof Error ? e.message : String(e)}`];
  }
}
