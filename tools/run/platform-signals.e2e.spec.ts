import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, waitFor } from '@keyward/testing';

const REPO_ROOT = resolve(__dirname, '../..');
const APPS = ['edge', 'keys', 'sessions', 'tickets', 'technicians', 'devices'] as const;

/** Every process below `root` (Linux /proc), with its command line. */
function descendants(root: number): Map<number, string> {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name may hold spaces and parentheses: the fields after the last ')' are fixed.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      // Gone meanwhile.
    }
  }
  const found = new Map<number, string>();
  const walk = (pid: number): void => {
    for (const [child, parent] of parentOf) {
      if (parent !== pid || found.has(child)) continue;
      let cmd = '?';
      try {
        cmd = readFileSync(`/proc/${child}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      } catch {
        // Gone meanwhile.
      }
      found.set(child, cmd);
      walk(child);
    }
  };
  walk(root);
  return found;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * `npm start` exactly as a newcomer runs it (its own Kafka and FerretDB, on free ports, in a
 * throw-away data directory), then SIGINT or SIGTERM to npm's own process id: every process it
 * started (npm, the platform script, the six apps, Kafka, FerretDB) is gone within the bound.
 * Before: SIGINT to npm did nothing and SIGTERM left the platform running orphaned (npm's shell
 * took the signal and died).
 */
describe('npm start and signals', () => {
  const dataDirs: string[] = [];
  /** Every process a started platform had: killed at the end if a failing run left any (orphans included). */
  const seen = new Set<number>();

  afterAll(() => {
    for (const pid of seen) if (alive(pid)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
  });

  async function startPlatform(): Promise<{ npm: ChildProcess; output: () => string }> {
    const dataDir = mkdtempSync(join(tmpdir(), 'keyward-npm-start-'));
    dataDirs.push(dataDir);
    const ports = Object.fromEntries(await Promise.all(APPS.map(async (a) => [`${a.toUpperCase()}_PORT`, String(await freePort())] as const)));
    const env: Record<string, string | undefined> = {
      ...process.env, ...ports,
      KEYWARD_DATA_DIR: dataDir, KEYWARD_KAFKA_PORT: String(await freePort()), KEYWARD_KAFKA_CONTROLLER_PORT: String(await freePort()),
      KEYWARD_MONGODB_PORT: String(await freePort()), LOG_LEVEL: 'warn',
    };
    // Its own infrastructure, not the test run's: what a newcomer's `npm start` does.
    delete env['KAFKA_BROKERS'];
    delete env['MONGODB_URI'];
    delete env['OPERATOR_TOKENS'];
    delete env['EDGE_SIGNING_SECRET'];
    let out = '';
    const npm = spawn('npm', ['start'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    if (npm.pid !== undefined) seen.add(npm.pid);
    npm.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
    npm.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
    await waitFor('npm start to report every app ready', () => {
      if (npm.exitCode !== null) throw new Error(`npm start exited ${npm.exitCode}:\n${out}`);
      return out.includes('Ctrl-C stops everything');
    }, { timeoutMs: 240_000, intervalMs: 500 });
    return { npm, output: () => out };
  }

  it.each(['SIGINT', 'SIGTERM'] as const)('%s to npm\'s process stops every app, Kafka and FerretDB within 60 s', async (signal) => {
    const { npm, output } = await startPlatform();
    const pid = npm.pid;
    if (pid === undefined) throw new Error('npm has no pid');
    const tree = descendants(pid);
    for (const p of tree.keys()) seen.add(p);
    const commands = [...tree.values()];
    // What must stop: the six apps, Kafka and FerretDB (and the platform script itself).
    for (const app of APPS) expect(commands.some((c) => c.includes(`apps/${app}/src/main.ts`))).toBe(true);
    expect(commands.some((c) => c.includes('kafka.Kafka'))).toBe(true);
    expect(commands.some((c) => c.includes('ferretdb'))).toBe(true);

    const t0 = Date.now();
    process.kill(pid, signal);
    await waitFor(`every process of npm start to exit after ${signal}`, () => alive(pid) === false && [...tree.keys()].every((p) => !alive(p)), { timeoutMs: 60_000, intervalMs: 250 });
    const seconds = (Date.now() - t0) / 1000;
    expect(output()).toMatch(/\[platform\] stopped in/);
    process.stdout.write(`npm start: ${signal} stopped ${tree.size} processes in ${seconds.toFixed(1)} s\n`);
  }, 330_000);
});
