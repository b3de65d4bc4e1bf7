import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadSpecLock } from '@keyward/testing';

// Keeps the benchmarks working: runs `node tools/bench/run.mjs --quick` once against this test
// run's Kafka and FerretDB (KAFKA_BROKERS / MONGODB_URI from the global set-up, so it starts no
// infrastructure of its own) and checks the report's shape. It never asserts a speed: tests do
// not time things; the figures are for people to read.

const REPO_ROOT = resolve(__dirname, '../..');
const BENCHMARKS = ['authz', 'edge', 'propagation', 'replay', 'scale', 'write'];
const RUN_TIMEOUT_MS = 420_000;

interface Figure {
  readonly label: string;
  readonly unit: string;
  readonly value: unknown;
  readonly baseline: unknown;
  readonly ratio: unknown;
}

interface Section {
  readonly name: string;
  readonly error?: string;
  readonly figures: readonly Figure[];
}

function runQuickBench(outDir: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, ['tools/bench/run.mjs', '--quick', '--out', outDir], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGINT'), RUN_TIMEOUT_MS - 30_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolveRun({ code, output });
    });
  });
}

describe('the benchmarks (npm run bench)', () => {
  // It loads the machine like the fault specs do: never beside one of them (libs/testing load-lock.ts).
  const lock = loadSpecLock('bench');
  const outDir = mkdtempSync(join(tmpdir(), 'keyward-bench-spec-'));

  afterAll(async () => {
    rmSync(outDir, { recursive: true, force: true });
    await lock.release();
  });

  it('run once in quick mode, exit 0 and write a report with every benchmark and numeric figures', async () => {
    expect(process.env['KAFKA_BROKERS']).toBeTruthy();
    expect(process.env['MONGODB_URI']).toBeTruthy();

    const { code, output } = await runQuickBench(outDir);
    // On a failure: which benchmark failed and why (its line comes early, before the whole table), then the end of the output.
    const failures = output.split('\n').filter((l) => /^\[bench\] \S+ FAILED/.test(l)).map((l) => l.slice(0, 2000));
    expect({ code, failures, output: code === 0 ? '' : output.slice(-3000) }).toEqual({ code: 0, failures: [], output: '' });

    const report = JSON.parse(readFileSync(join(outDir, 'report.json'), 'utf8')) as { meta: Record<string, unknown>; benchmarks: Section[] };
    expect(report.meta).toMatchObject({ quick: true, cpuCount: expect.any(Number), node: process.version });
    expect(report.benchmarks.map((b) => b.name).sort()).toEqual(BENCHMARKS);
    for (const section of report.benchmarks) {
      expect({ name: section.name, error: section.error }).toEqual({ name: section.name, error: undefined });
      expect(section.figures.length).toBeGreaterThan(0);
      for (const f of section.figures) {
        const shape = {
          figure: `${section.name}: ${f.label}`,
          value: Number.isFinite(f.value),
          baseline: f.baseline === null || Number.isFinite(f.baseline),
          ratio: f.ratio === null || Number.isFinite(f.ratio),
        };
        expect(shape).toEqual({ figure: shape.figure, value: true, baseline: true, ratio: true });
      }
    }
    const markdown = readFileSync(join(outDir, 'report.md'), 'utf8');
    expect(markdown).toContain('# Keyward benchmarks');
    for (const svg of ['authz-rates.svg', 'propagation.svg', 'edge-fixed-rate.svg', 'replay.svg', 'write-path.svg']) {
      expect({ svg, exists: existsSync(join(outDir, svg)) }).toEqual({ svg, exists: true });
      expect(markdown).toContain(`(${svg})`);
    }
  }, RUN_TIMEOUT_MS);
});
