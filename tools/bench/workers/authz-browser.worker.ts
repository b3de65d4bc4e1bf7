// Authorization with the browser-key checks on (docs/browser-keys.md), in process, with the real
// code: the same KeyIndex holds plain keys (no origins, no limit) and browser keys (three allowed
// origins, one a wildcard, and a rate limit too large to run out). The plain check of a plain key
// is the baseline; the measured check is authorize() with the request's Origin and the edge's
// KeyRateLimiter, on a browser key, and its usage counted as the edge counts it (usageSubjectOf +
// UsageRecorder.record, with the flush's take + settle every 10 s, USAGE_FLUSH_INTERVAL_MS's
// default, inside the timed loop): everything issue 15 puts on the path at once. Interleaved runs, so both meet the same neighbours, timed in
// the process's CPU time.
// Input (BENCH_INPUT): { keys, runs, runMs, poolSize }.
import 'reflect-metadata';
import type { KeyEventEnvelope } from '@keyward/contracts';
import type { AuthRequest } from '@keyward/key-auth';
import { authorize, KeyIndex, KeyRateLimiter, UsageRecorder, usageSubjectOf } from '@keyward/key-auth';
import { benchKey } from './bench-keys';
import { checkRate, cpuClockMs } from './check-rate';

interface Input {
  keys: number;
  runs: number;
  runMs: number;
  poolSize: number;
}

type Check = (token: string) => number;

const input = JSON.parse(process.env['BENCH_INPUT'] ?? '{}') as Input;
const CLIENT_IP = '10.1.2.3';
const ORIGIN = 'https://eu.shop.example.com';
const ALLOWED_ORIGINS = ['https://www.example.com', 'https://app.example.net', 'https://*.shop.example.com'];
const NOW = Date.now();
const OPERATION = 'GET /v1/devices';
const FLUSH_MS = 10_000;

/** The process's own CPU time in ms: on a shared machine the wall clock also counts other processes' turns. */
/** Checks per CPU second of `check` over the pool, for about `ms` of this process's CPU time. */
const rate = (check: Check, pool: readonly string[], ms: number): number => checkRate(check, pool, ms, cpuClockMs);

function main(): void {
  const n = input.keys;
  const index = new KeyIndex();
  const plainPool: string[] = [];
  const browserPool: string[] = [];
  const every = Math.max(2, Math.floor(n / input.poolSize));
  for (let i = 0; i < n; i++) {
    const browser = i % 2 === 1;
    const { token, envelope } = benchKey(i, { nowMs: NOW });
    const event = browser && envelope.type === 'KeyCreated'
      ? { ...envelope, schemaVersion: 2, data: { ...envelope.data, allowedOrigins: ALLOWED_ORIGINS, rateLimit: { requests: 1_000_000, windowSeconds: 1, burst: 1_000_000 } } }
      : envelope;
    if (index.apply(JSON.parse(JSON.stringify(event)) as KeyEventEnvelope) !== 'applied') throw new Error(`key ${i} not applied`);
    if (browser && browserPool.length < input.poolSize && i % every === 1) browserPool.push(token);
    if (!browser && plainPool.length < input.poolSize && i % every === 0) plainPool.push(token);
  }
  const limiter = new KeyRateLimiter();
  const recorder = new UsageRecorder();
  let lastFlushMs = Date.now();
  const plain: Check = (token) => (authorize(index, { token, clientIp: CLIENT_IP, permission: 'devices:read', nowMs: Date.now() }).ok ? 1 : 0);
  // As the edge calls it: the Origin, the slot for the key found, the limiter, and the usage count.
  const full: Check = (token) => {
    const nowMs = Date.now();
    const req: AuthRequest = { token, clientIp: CLIENT_IP, origin: ORIGIN, permission: 'devices:read', nowMs, found: undefined };
    const outcome = authorize(index, req, limiter);
    const subject = usageSubjectOf(req, outcome);
    if (subject) recorder.record(subject.keyId, subject.accountId, OPERATION, outcome.ok ? 'ok' : outcome.code, CLIENT_IP, nowMs, req.found);
    if (nowMs - lastFlushMs >= FLUSH_MS) {
      lastFlushMs = nowMs;
      recorder.settle(recorder.take(nowMs), true);
    }
    return outcome.ok ? 1 : 0;
  };
  for (const token of browserPool.slice(0, 50)) {
    const o = authorize(index, { token, clientIp: CLIENT_IP, origin: 'https://evil.example', permission: 'devices:read', nowMs: NOW, found: undefined }, limiter);
    if (o.ok || o.code !== 'origin_not_allowed') throw new Error('a browser key was granted from an origin it does not allow');
    if (full(token) !== 1) throw new Error('a browser key was refused from its own origin');
  }
  rate(plain, plainPool, 200);
  rate(full, browserPool, 200);
  const plainRates: number[] = [];
  const fullRates: number[] = [];
  for (let r = 0; r < input.runs; r++) {
    plainRates.push(rate(plain, plainPool, input.runMs));
    fullRates.push(rate(full, browserPool, input.runMs));
  }
  process.stdout.write(`BENCH_RESULT ${JSON.stringify({ keys: n, plainRates, fullRates, buckets: limiter.size, usageBuckets: recorder.pending })}\n`);
}

main();
