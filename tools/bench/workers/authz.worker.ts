// Authorization in process, with the real code: a KeyIndex filled from KeyCreated envelopes (as
// the consumer receives them, JSON-parsed one by one), checked by authorize() for four kinds of
// token, against a baseline of a bare Map.get plus one SHA-256 of the same token.
// Input (BENCH_INPUT): { keys, runs, runMs, latencySamples, poolSize, profileFile?, profileMs? }.
// Run with --expose-gc: the heap per key is measured before any benchmark loop allocates.
import 'reflect-metadata';
import { createHash, hash as oneShotHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { performance } from 'node:perf_hooks';
import type { KeyEventEnvelope } from '@keyward/contracts';
import { checkToken, generateToken, tokenDigest } from '@keyward/contracts';
import type { AuthRequest } from '@keyward/key-auth';
import { authorize, KeyIndex } from '@keyward/key-auth';
import { benchKey, newKeyId } from './bench-keys';
import { checkRate } from './check-rate';

interface Input {
  keys: number;
  runs: number;
  runMs: number;
  latencySamples: number;
  poolSize: number;
  profileFile?: string;
  profileMs?: number;
}

type Kind = 'valid' | 'unknown' | 'malformed' | 'ipRestricted';
type Check = (token: string) => number;

const input = JSON.parse(process.env['BENCH_INPUT'] ?? '{}') as Input;
const CLIENT_IP = '10.1.2.3';
const NOW = Date.now();

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error('run this worker with node --expose-gc');
  for (let i = 0; i < 3; i++) collect();
}

/** A KeyCreated as the key service publishes it, parsed from JSON as the consumer does. */
function keyCreated(i: number, ipRestricted: boolean): { token: string; event: KeyEventEnvelope } {
  const { token, envelope } = benchKey(i, { ipRestricted, nowMs: NOW });
  return { token, event: JSON.parse(JSON.stringify(envelope)) as KeyEventEnvelope };
}

/** Ops per second of `check` over the pool for about `ms` milliseconds (wall time). */
const rate = (check: Check, pool: readonly string[], ms: number): number => checkRate(check, pool, ms);

/** Each check timed on its own (hrtime, so each sample includes the same ~timer cost). */
function latencies(check: Check, pool: readonly string[], n: number): number[] {
  const out = new Array<number>(n);
  let sink = 0;
  for (let k = 0; k < n; k++) {
    const token = pool[k % pool.length] as string;
    const t0 = process.hrtime.bigint();
    sink += check(token);
    out[k] = Number(process.hrtime.bigint() - t0);
  }
  if (sink < 0) log('unreachable');
  return out;
}

/** p50, p99 and max by nearest rank. */
function summary(values: number[]): { n: number; p50: number; p99: number; max: number } {
  const sorted = Float64Array.from(values).sort();
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
  return { n: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? NaN };
}

function post<T>(session: Session, method: string, params: object = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    session.post(method, params, (err, res) => (err ? reject(err) : resolve(res as T)));
  });
}

async function main(): Promise<void> {
  const n = input.keys;
  const poolSize = Math.min(input.poolSize, Math.max(1, Math.floor(n / 10)));
  const every = Math.max(1, Math.floor(n / poolSize));
  const validPool: string[] = [];
  const ipPool: string[] = [];

  // Heap baseline: a lean entry per key (hash -> small frozen record), what a minimal index costs.
  gc();
  const leanBefore = process.memoryUsage().heapUsed;
  let lean: Map<string, object> | undefined = new Map<string, object>();
  for (let i = 0; i < n; i++) {
    const hash = createHash('sha256').update(randomBytes(32)).digest('hex');
    lean.set(hash, Object.freeze({ id: newKeyId(), accountId: `acc_${(i % 5000).toString(36).padStart(8, '0')}`, status: 1, expiresAtMs: NOW, permissions: 7 }));
  }
  gc();
  const leanBytesPerKey = (process.memoryUsage().heapUsed - leanBefore) / lean.size;
  lean = undefined;

  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const buildStart = performance.now();
  const index = new KeyIndex();
  for (let i = 0; i < n; i++) {
    const ipRestricted = i % 10 === 5;
    const { token, event } = keyCreated(i, ipRestricted);
    const result = index.apply(event);
    if (result !== 'applied') throw new Error(`KeyCreated ${i} was ${result}`);
    // The pools take keys spread over the whole index, so lookups do not stay in a warm corner.
    if (ipRestricted && ipPool.length < poolSize && i % every === 5) ipPool.push(token);
    if (!ipRestricted && validPool.length < poolSize && i % every === 0) validPool.push(token);
  }
  const buildMs = performance.now() - buildStart;
  gc();
  const heapAfter = process.memoryUsage().heapUsed;
  // The pools are not part of the index; their strings are taken out of the figure.
  const poolBytes = (validPool.length + ipPool.length) * (55 + 16 + 8);
  const bytesPerKey = (heapAfter - heapBefore - poolBytes) / n;
  log(`${n} keys built in ${Math.round(buildMs)} ms; ${bytesPerKey.toFixed(0)} heap bytes per key`);

  const unknownPool = Array.from({ length: poolSize }, () => generateToken('private'));
  const malformedPool = unknownPool.map((t) => t.slice(0, -1) + (t.endsWith('A') ? 'B' : 'A'));
  const pools: Record<Kind, string[]> = { valid: validPool, unknown: unknownPool, malformed: malformedPool, ipRestricted: ipPool };

  // Baseline: the same tokens, hashed once with createHash('sha256') (the textbook call, and the one
  // the first measurement used), looked up in a bare Map holding every key's hex hash; the one-shot
  // crypto.hash variant is measured beside it.
  const bare = new Map<string, object>();
  for (const view of index.snapshot()) bare.set(view.secretHash, view);
  const baseline: Check = (token) => (bare.get(createHash('sha256').update(token).digest('hex')) === undefined ? 0 : 1);
  const baselineOneShot: Check = (token) => (bare.get(oneShotHash('sha256', token, 'hex')) === undefined ? 0 : 1);
  const request = (token: string): AuthRequest => ({ token, clientIp: CLIENT_IP, permission: 'devices:read', nowMs: Date.now(), origin: undefined, found: undefined });
  const measured: Check = (token) => (authorize(index, request(token)).ok ? 1 : 0);

  // Sanity: the outcomes are what each kind stands for.
  const expected: Record<Kind, string> = { valid: 'ok', unknown: 'unknown_key', malformed: 'malformed_key', ipRestricted: 'ok' };
  for (const kind of Object.keys(pools) as Kind[]) {
    for (const token of pools[kind].slice(0, 50)) {
      const o = authorize(index, request(token));
      const got = o.ok ? 'ok' : o.code;
      if (got !== expected[kind]) throw new Error(`${kind} token answered ${got}, expected ${expected[kind]}`);
    }
  }
  const restricted = authorize(index, { ...request(ipPool[0] as string), clientIp: '203.0.113.9' });
  if (restricted.ok) throw new Error('an IP-restricted key was granted from outside its list');

  // Warm both paths up so the JIT has optimised them before anything is timed.
  for (const kind of Object.keys(pools) as Kind[]) {
    rate(measured, pools[kind], 100);
    rate(baseline, pools[kind], 100);
  }
  rate(baselineOneShot, validPool, 100);

  const kinds: Record<string, unknown> = {};
  for (const kind of Object.keys(pools) as Kind[]) {
    const pool = pools[kind];
    const rates: number[] = [];
    const baselineRates: number[] = [];
    for (let r = 0; r < input.runs; r++) {
      // Interleaved, so a noisy neighbour hurts both alike.
      rates.push(rate(measured, pool, input.runMs));
      baselineRates.push(rate(baseline, pool, input.runMs));
    }
    kinds[kind] = {
      rates,
      baselineRates,
      latencyNs: summary(latencies(measured, pool, input.latencySamples)),
      baselineLatencyNs: summary(latencies(baseline, pool, input.latencySamples)),
    };
    log(`${kind}: ${Math.round(Math.max(...rates)).toLocaleString('en-US')} checks/s best run`);
  }
  const oneShotRates: number[] = [];
  for (let r = 0; r < input.runs; r++) oneShotRates.push(rate(baselineOneShot, validPool, input.runMs));

  let profiled = false;
  if (input.profileFile) {
    const session = new Session();
    session.connect();
    await post(session, 'Profiler.enable');
    await post(session, 'Profiler.setSamplingInterval', { interval: 100 });
    await post(session, 'Profiler.start');
    rate(measured, validPool, input.profileMs ?? 1000);
    const { profile } = await post<{ profile: object }>(session, 'Profiler.stop');
    writeFileSync(input.profileFile, JSON.stringify(profile));
    session.disconnect();
    profiled = true;
  }

  // Where a valid check's time goes: each step alone, over the same tokens.
  const hashes = validPool.map((t) => oneShotHash('sha256', t, 'hex'));
  const digests = validPool.map((t) => tokenDigest(t));
  const components: Record<string, number[]> = { checkToken: [], tokenDigest: [], findByDigest: [], bareMapGet: [], oneShotHash: [] };
  for (let r = 0; r < input.runs; r++) {
    components['checkToken']?.push(rate((t) => (checkToken(t).ok ? 1 : 0), validPool, input.runMs / 2));
    components['tokenDigest']?.push(rate((t) => tokenDigest(t).length, validPool, input.runMs / 2));
    components['findByDigest']?.push(rate((d) => (index.findByDigest(d, NOW) === undefined ? 0 : 1), digests, input.runMs / 2));
    components['bareMapGet']?.push(rate((h) => (bare.get(h) === undefined ? 0 : 1), hashes, input.runMs / 2));
    components['oneShotHash']?.push(rate((t) => oneShotHash('sha256', t, 'hex').length, validPool, input.runMs / 2));
  }

  const result = { keys: n, buildMs, heapBefore, heapAfter, bytesPerKey, leanBytesPerKey, components, poolSize, kinds, oneShotRates, profiled, pid: process.pid };
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
}

main().catch((e: unknown) => {
  log(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(1);
});
