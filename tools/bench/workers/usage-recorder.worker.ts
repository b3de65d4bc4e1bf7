// Usage counting on the authorization path (issue 15 item 3, docs/usage.md): authorize() alone
// against authorize() plus what a call site does for usage (usageSubjectOf + UsageRecorder.record),
// interleaved in one process over the same tokens: valid keys (counted `ok`) and refusals of known
// keys (permission_denied: the key is the one authorize's lookup found, request.found). A flush (take + settle)
// runs every 10 s (USAGE_FLUSH_INTERVAL_MS's default), inside the timed loop. Prints BENCH_RESULT with the rates and their ratio.
// Run: SWC_NODE_PROJECT=tsconfig.base.json BENCH_INPUT='{"keys":100000,"runs":200,"runMs":20}' \
//        node -r @swc-node/register tools/bench/workers/usage-recorder.worker.ts
import 'reflect-metadata';
import type { KeyEventEnvelope, Permission } from '@keyward/contracts';
import type { AuthOutcome } from '@keyward/key-auth';
import { authorize, KeyIndex, UsageRecorder, usageSubjectOf } from '@keyward/key-auth';
import { benchKey } from './bench-keys';
import { checkRate } from './check-rate';

interface Input { keys?: number; runs?: number; runMs?: number; poolSize?: number }
const input = JSON.parse(process.env['BENCH_INPUT'] ?? '{}') as Input;
const KEYS = input.keys ?? 100_000;
const RUNS = input.runs ?? 200;
const RUN_MS = input.runMs ?? 20;
const POOL = Math.min(input.poolSize ?? 10_000, KEYS);
const CLIENT_IP = '10.1.2.3';
const OPERATION = 'GET /v1/devices';
/** As USAGE_FLUSH_INTERVAL_MS by default: the flush (take + settle) runs on the request path here, in production on a timer. */
const FLUSH_MS = 10_000;

const rate = (check: (token: string) => number, pool: readonly string[], ms: number): number => checkRate(check, pool, ms);

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

function main(): void {
  const index = new KeyIndex();
  const pool: string[] = [];
  const every = Math.max(1, Math.floor(KEYS / POOL));
  for (let i = 0; i < KEYS; i++) {
    const { token, envelope } = benchKey(i);
    index.apply(JSON.parse(JSON.stringify(envelope)) as KeyEventEnvelope);
    if (i % every === 0 && pool.length < POOL) pool.push(token);
  }
  const recorder = new UsageRecorder();
  let lastFlushMs = Date.now();
  const plainFor = (permission: Permission) => (token: string): number => (authorize(index, { token, clientIp: CLIENT_IP, permission, nowMs: Date.now(), found: undefined }).ok ? 1 : 0);
  const countedFor = (permission: Permission) => (token: string): number => {
    const nowMs = Date.now();
    const request = { token, clientIp: CLIENT_IP, permission, nowMs, found: undefined };
    const outcome: AuthOutcome = authorize(index, request);
    const subject = usageSubjectOf(request, outcome);
    if (subject) recorder.record(subject.keyId, subject.accountId, OPERATION, outcome.ok ? 'ok' : outcome.code, CLIENT_IP, nowMs);
    if (nowMs - lastFlushMs >= FLUSH_MS) {
      lastFlushMs = nowMs;
      recorder.settle(recorder.take(nowMs), true);
    }
    return outcome.ok ? 1 : 0;
  };
  const result: Record<string, unknown> = { keys: KEYS, pool: pool.length };
  for (const [kind, permission] of [['valid', 'devices:read'], ['permissionDenied', 'keys:manage']] as const) {
    const plain = plainFor(permission);
    const counted = countedFor(permission);
    rate(plain, pool, 200);
    rate(counted, pool, 200);
    // Short slices in pairs, the order alternating, and the median of the pairs' ratios: on a shared
    // machine whose load swings by 10x within seconds, only neighbouring slices compare.
    const plainRates: number[] = [];
    const countedRates: number[] = [];
    const ratios: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const first = r % 2 === 0;
      const a = first ? rate(plain, pool, RUN_MS) : 0;
      const b = rate(counted, pool, RUN_MS);
      const c = first ? a : rate(plain, pool, RUN_MS);
      plainRates.push(c);
      countedRates.push(b);
      ratios.push(c / b);
    }
    const ratio = median(ratios);
    result[kind] = { plainRates, countedRates, ratios, ratio };
    process.stderr.write(`${kind}: plain ${Math.round(median(plainRates))}/s, with usage ${Math.round(median(countedRates))}/s (medians); median pair ratio ${ratio.toFixed(3)}x the plain check's time\n`);
  }
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
}

main();
