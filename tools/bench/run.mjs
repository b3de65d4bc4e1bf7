#!/usr/bin/env node
// `npm run bench`: measures what DESIGN.md promises, each figure against a baseline measured in the
// same run (the machine is shared and noisy: read the ratios). Prints a table and writes
// tools/bench/results/<timestamp>/{report.json, report.md, *.svg}.
//
//   node tools/bench/run.mjs [--quick] [--only authz,propagation,edge,replay,write,scale] [--out <dir>] [--verbose]
//
// Kafka and FerretDB are started here on free ports (tools/infra) unless KAFKA_BROKERS and
// MONGODB_URI are set. --quick is the small, short variant the test suite runs once.
import { mkdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as authz from './benchmarks/authz.mjs';
import * as edge from './benchmarks/edge.mjs';
import * as propagation from './benchmarks/propagation.mjs';
import * as replay from './benchmarks/replay.mjs';
import * as scale from './benchmarks/scale-out.mjs';
import * as write from './benchmarks/write-path.mjs';
import { destroyAgents } from './lib/http.mjs';
import { infraVersions, Platform, startBenchInfra } from './lib/platform.mjs';
import { REPO_ROOT } from './lib/proc.mjs';
import { textTable, writeReport } from './lib/report.mjs';
import { ensureDependencies } from '../lib/dependencies.mjs';

// The order they run in: in process first, then the platform's (write before propagation: it measures with 1,000 events stored, then
// with 100,000, which propagation then finds), then replay (its own service).
const BENCHMARKS = [authz, edge, scale, write, propagation, replay];
const HELP = `usage: node tools/bench/run.mjs [--quick] [--only <name,...>] [--out <dir>] [--verbose]
benchmarks: ${BENCHMARKS.map((b) => b.name).join(', ')}`;

// The same dependency check as `npm start` and `npm test` (nothing above needs node_modules).
ensureDependencies();

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    out: { type: 'string' },
    verbose: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const only = values.only ? new Set(values.only.split(',').map((s) => s.trim())) : undefined;
for (const n of only ?? []) {
  if (!BENCHMARKS.some((b) => b.name === n)) {
    console.error(`unknown benchmark "${n}"\n${HELP}`);
    process.exit(2);
  }
}
const selected = BENCHMARKS.filter((b) => !only || only.has(b.name));
const started = new Date();
const outDir = values.out ?? join(REPO_ROOT, 'tools/bench/results', started.toISOString().replace(/[:.]/g, '-'));
const log = (m) => process.stderr.write(`${m}\n`);
mkdirSync(outDir, { recursive: true });
const argv = process.argv.slice(2).join(' ');
const cpuList = cpus();

const meta = {
  date: started.toISOString(),
  command: `node tools/bench/run.mjs${argv ? ` ${argv}` : ''}`,
  quick: values.quick,
  cpuModel: cpuList[0]?.model ?? 'unknown',
  cpuCount: cpuList.length,
  totalMemoryGiB: Math.round(totalmem() / 2 ** 30),
  loadAverage: loadavg().map((l) => l.toFixed(2)),
  os: `${type()} ${release()}`,
  node: process.version,
  kafkajs: JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules/kafkajs/package.json'), 'utf8')).version,
  kafka: 'not used',
  ferretdb: 'not used',
  infrastructure: 'none needed',
};

let infra;
let platform;
let platformError;
let stopping = false;
const TRANSIENT_KAFKA = /does not host this topic-partition|not the leader|leader not available|coordinator (is )?(loading|not available)/i;

async function cleanUp() {
  if (stopping) return;
  stopping = true;
  await platform?.close().catch((e) => log(`[bench] stopping the platform: ${e.message}`));
  destroyAgents();
  await infra?.stop().catch((e) => log(`[bench] stopping Kafka and FerretDB: ${e.message}`));
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    log(`[bench] ${sig}: stopping ...`);
    void cleanUp().then(() => process.exit(130));
  });
}

const sections = [];
let failed = false;
try {
  log(`[bench] ${values.quick ? 'quick' : 'full'} run of ${selected.map((b) => b.name).join(', ')} on ${meta.cpuCount} × ${meta.cpuModel}; results in ${outDir}`);
  const ctx = { quick: values.quick, verbose: values.verbose, log, outDir };
  for (const bench of selected) {
    const t0 = Date.now();
    try {
      if (bench !== authz && !infra) {
        infra = await startBenchInfra(log);
        ctx.env = infra.env;
        Object.assign(meta, await infraVersions(infra.env), {
          infrastructure: infra.external ? 'the caller\'s (KAFKA_BROKERS / MONGODB_URI)' : 'started by the bench with tools/infra (free ports, temporary data directory)',
        });
      }
      if (bench.needsPlatform && platformError) throw new Error(`the platform did not start: ${platformError}`);
      if (bench.needsPlatform && !platform) {
        platform = new Platform(infra.env, log);
        platform.profileFiles = { edge: join(outDir, 'edge-saturation.cpuprofile'), keys: join(outDir, 'keys-creations.cpuprofile') };
        try {
          await platform.startAll();
        } catch (e) {
          platformError = e.message.split('\n')[0];
          await platform.close().catch(() => undefined);
          platform = undefined;
          throw e;
        }
        ctx.platform = platform;
      }
      if (!bench.needsPlatform && platform) {
        // Replay starts a service of its own; the platform would only add noise.
        await platform.close();
        platform = undefined;
        ctx.platform = undefined;
      }
      log(`[bench] ${bench.title} ...`);
      let section;
      try {
        section = await bench.run(ctx);
      } catch (e) {
        // Right after the platform's topics are deleted, a fresh topic can answer "does not host this
        // topic-partition" on a loaded machine: run the benchmark once more, on new topics, and say so.
        if (!TRANSIENT_KAFKA.test(String(e?.message ?? e))) throw e;
        log(`[bench] ${bench.name}: transient Kafka error (${e.message}); running it once more`);
        section = await bench.run(ctx);
        section = { ...section, retried: `once, after: ${e.message}` };
      }
      sections.push({ name: bench.name, title: bench.title, seconds: Math.round((Date.now() - t0) / 100) / 10, ...section });
      log(`[bench] ${bench.name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } catch (e) {
      failed = true;
      log(`[bench] ${bench.name} FAILED: ${e.stack ?? e.message}`);
      sections.push({ name: bench.name, title: bench.title, error: e.stack ?? String(e), figures: [] });
    }
  }
} finally {
  await cleanUp();
}

// In the report, in the order of the issue's list (they run in another order).
const ORDER = ['authz', 'propagation', 'edge', 'replay', 'write', 'scale'];
sections.sort((a, b) => ORDER.indexOf(a.name) - ORDER.indexOf(b.name));
const report = { meta: { ...meta, durationSeconds: Math.round((Date.now() - started.getTime()) / 1000) }, benchmarks: sections };
writeReport(outDir, report);
console.log(textTable(report));
console.log(`\nreport: ${join(outDir, 'report.md')}\n        ${join(outDir, 'report.json')}`);
process.exit(failed ? 1 : 0);
