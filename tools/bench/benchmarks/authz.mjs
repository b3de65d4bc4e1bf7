// 1. Authorization check, in process (no infrastructure): the real KeyIndex and authorize().
import { join } from 'node:path';
import { analyseProfile } from '../lib/cpu-profile.mjs';
import { runWorker } from '../lib/proc.mjs';
import { median, ratio } from '../lib/stats.mjs';
import { barChart } from '../lib/svg.mjs';

const KINDS = [
  ['valid', 'valid key'],
  ['unknown', 'unknown key'],
  ['malformed', 'malformed key (bad checksum)'],
  ['ipRestricted', 'IP-restricted key (allowed address)'],
];
const label = (n) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`);

export const name = 'authz';
export const title = '1. Authorization check, in process';

export async function run(ctx) {
  const sizes = ctx.quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000];
  const params = ctx.quick
    ? { runs: 3, runMs: 100, latencySamples: 20_000, poolSize: 10_000 }
    : { runs: 7, runMs: 400, latencySamples: 200_000, poolSize: 10_000 };
  const results = [];
  for (const keys of sizes) {
    const largest = keys === sizes[sizes.length - 1];
    const profileFile = largest ? join(ctx.outDir, `authz-${label(keys)}.cpuprofile`) : undefined;
    ctx.log(`[authz] ${label(keys)} keys ...`);
    const r = await runWorker('authz', { keys, ...params, ...(profileFile ? { profileFile, profileMs: ctx.quick ? 500 : 2000 } : {}) }, {
      nodeArgs: ['--expose-gc', ...(keys >= 1_000_000 ? ['--max-old-space-size=6144'] : [])],
      log: ctx.verbose ? ctx.log : () => {},
    });
    results.push({ ...r, profileFile });
  }

  const figures = [];
  for (const r of results) {
    for (const [kind, what] of KINDS) {
      const k = r.kinds[kind];
      const value = median(k.rates);
      const base = median(k.baselineRates);
      const rr = ratio(value, base);
      const isValid = kind === 'valid';
      figures.push({
        label: `${what}, ${label(r.keys)} keys: checks/s (1 core)`,
        unit: 'checks/s', value, baseline: base, ratio: rr,
        // Issue 12: ≥ 1M/s, or, where the baseline itself (one SHA-256 and one Map.get) stays under 1M/s on
        // this CPU, within 1.5× of it (≥ 0.67×): the hash forbids more.
        target: isValid ? '≥ 1,000,000/s, or ≥ 1/1.5 of a baseline under 1M/s' : '≥ 0.5× baseline (≤ 2× its cost)',
        met: isValid ? value >= 1_000_000 || (base < 1_000_000 && rr >= 1 / 1.5) : rr >= 0.5,
      });
      for (const q of ['p50', 'p99']) {
        const v = k.latencyNs[q];
        const b = k.baselineLatencyNs[q];
        figures.push({ label: `${what}, ${label(r.keys)} keys: per-check latency ${q}`, unit: 'ns', value: v, baseline: b, ratio: ratio(v, b), target: '≤ 2× baseline', met: ratio(v, b) <= 2 });
      }
    }
  }
  const last = results[results.length - 1];
  figures.push({
    label: `heap per key at ${label(last.keys)} keys`, unit: 'B/key', value: last.bytesPerKey, baseline: last.leanBytesPerKey,
    ratio: ratio(last.bytesPerKey, last.leanBytesPerKey), target: '< 400 B/key', met: last.bytesPerKey < 400,
  });
  const oneShot = median(last.oneShotRates);
  const lastBase = median(last.kinds.valid.baselineRates);
  figures.push({
    label: `(info) baseline with one-shot crypto.hash() instead of createHash(), ${label(last.keys)} keys`, unit: 'checks/s',
    value: oneShot, baseline: lastBase, ratio: ratio(oneShot, lastBase), target: null, met: null,
  });
  const lastValid = median(last.kinds.valid.rates);
  figures.push({
    label: `(info) valid key, ${label(last.keys)} keys, against the one-shot baseline (Map.get + crypto.hash)`, unit: 'checks/s',
    value: lastValid, baseline: oneShot, ratio: ratio(lastValid, oneShot), target: null, met: null,
  });

  // Browser keys (docs/browser-keys.md, docs/usage.md): the origin check, the rate limit and usage counting against the plain check.
  const browserKeys = ctx.quick ? 10_000 : 100_000;
  ctx.log(`[authz] browser-key checks, ${label(browserKeys)} keys ...`);
  const browser = await runWorker('authz-browser', { keys: browserKeys, runs: params.runs, runMs: params.runMs, poolSize: Math.min(5_000, browserKeys / 4) },
    { log: ctx.verbose ? ctx.log : () => {} });
  const browserValue = median(browser.fullRates);
  const plainValue = median(browser.plainRates);
  figures.push({
    label: `valid key with origin check, rate limit and usage counting on (browser key), ${label(browserKeys)} keys: checks/s (1 core)`, unit: 'checks/s',
    value: browserValue, baseline: plainValue, ratio: ratio(browserValue, plainValue),
    target: 'cost ≤ 1.2× the plain check (ratio ≥ 0.83)', met: ratio(browserValue, plainValue) >= 1 / 1.2,
  });

  const categories = results.flatMap((r) => KINDS.map(([kind]) => `${kind} @ ${label(r.keys)}`));
  const charts = [{
    file: 'authz-rates.svg',
    title: 'Authorization checks per second, measured vs baseline',
    svg: barChart({
      title: 'authorize() vs Map.get + SHA-256: checks per second (median of runs, one core)', unit: 'checks/s',
      categories,
      series: [
        { name: 'authorize() on KeyIndex', values: results.flatMap((r) => KINDS.map(([k]) => median(r.kinds[k].rates))) },
        { name: 'baseline: Map.get + SHA-256', values: results.flatMap((r) => KINDS.map(([k]) => median(r.kinds[k].baselineRates))) },
      ],
      format: (v) => (v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : `${Math.round(v / 1000)}k`),
    }),
  }];

  const comp = last.components;
  const perCheckNs = (rates) => 1e9 / median(rates);
  const table = [
    `**Where a valid check's time goes** (${label(last.keys)} keys; each step alone over the same tokens, ns per call, median of runs):`,
    '',
    '| step | ns per call |',
    '|---|---:|',
    `| whole \`authorize()\` (valid key) | ${Math.round(perCheckNs(last.kinds.valid.rates))} |`,
    `| \`checkToken()\` (format + CRC-32 checksum, in place) | ${Math.round(perCheckNs(comp.checkToken))} |`,
    `| \`tokenDigest()\` (one-shot crypto.hash('sha256', token, 'binary'): the lookup key) | ${Math.round(perCheckNs(comp.tokenDigest))} |`,
    `| \`crypto.hash('sha256', token, 'hex')\` (one-shot, hex, for comparison) | ${Math.round(perCheckNs(comp.oneShotHash))} |`,
    `| \`KeyIndex.findByDigest()\` with a digest whose string hash is cached | ${Math.round(perCheckNs(comp.findByDigest))} |`,
    `| bare \`Map.get()\`, hex hashes of the same tokens | ${Math.round(perCheckNs(comp.bareMapGet))} |`,
  ];

  const profiles = [];
  if (last.profileFile) {
    const analysis = analyseProfile(last.profileFile, { inclusive: ['authorize', 'checkToken', 'tokenDigest', 'findByDigest', 'allows'] });
    profiles.push({ title: `CPU profile of valid-key checks at ${label(last.keys)} keys (${last.profileFile.split('/').pop()})`, analysis,
      reading: 'self time of `authorize` includes what V8 inlined into it (the steps after the lookup); `checkToken` is the format scan ' +
        'and the in-place CRC-32; `oneShotDigest`/`hash` are crypto.hash and its native call; the garbage collector collects the per-check ' +
        'digest string and the request object (the only allocations).' });
  }
  return {
    description: `\`authorize()\` from \`@keyward/key-auth\` on a \`KeyIndex\` filled with ${sizes.map(label).join(', ')} keys from real ` +
      '`KeyCreated` envelopes (tokens from `generateToken`, hashes from `hashToken`, prefixes from `displayPrefix`; each envelope ' +
      'JSON-parsed as the consumer does; one key in ten has an IP allow-list of three ranges). Each size runs in its own process. ' +
      'Checks per second: a tight loop over 10,000 tokens spread over the index (1,000 at 10k keys), median of ' +
      `${params.runs} runs of ${params.runMs} ms, interleaved with the baseline. Latency: ${params.latencySamples.toLocaleString('en-US')} ` +
      'checks each timed with `process.hrtime.bigint()` (the timer\'s own ~50–100 ns is in both figures). Heap per key: ' +
      '`--expose-gc`, `gc()`, `heapUsed` before and after filling the index, in a fresh process.',
    baseline: 'a bare `Map.get()` on a Map holding every key\'s hex hash, after one SHA-256 of the same token with ' +
      '`createHash(\'sha256\').update().digest(\'hex\')` (the textbook call; the one-shot `crypto.hash` variant is reported as (info)). For the heap: a bare Map from a 64-character hex hash to a small frozen record ' +
      '(id, account, status, expiry, permission bits) — what a lean index entry costs.',
    figures,
    charts,
    tables: [table],
    profiles,
    details: [...results.map(({ profileFile: _p, ...r }) => r), { browserKeys: browser }],
  };
}
