import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import { resolve } from 'node:path';
import type { ServiceName } from '@keyward/contracts';
import { TEST_OPERATOR_TOKEN } from './operator-token';
import { TEST_AUTH_FAILURE_LIMIT, TEST_EDGE_SIGNING_SECRET } from './edge-signing';
import { testInfra, testName } from './test-infra';
import { waitFor } from './wait-for';

const REPO_ROOT = resolve(__dirname, '../../..');

export interface ServiceProcess {
  readonly service: ServiceName;
  readonly url: string;
  readonly port: number;
  readonly database: string;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Sends a signal without waiting for an exit (SIGSTOP / SIGCONT pause and resume the process). */
  signal(signal: NodeJS.Signals): void;
  /** Resolves with the exit code once the process has exited. */
  exited(): Promise<number | null>;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolvePort(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Starts one service as its own process (as `npm start` does), on a free port and a fresh test
 * database, and resolves once its /ready answers 200. stop() sends SIGTERM and waits for exit.
 */
export async function startServiceProcess(
  service: ServiceName,
  { env = {}, database = testName(service), readyTimeoutMs = 60_000, waitUntilReady = true, port: fixedPort }: { env?: Record<string, string>; database?: string; readyTimeoutMs?: number; waitUntilReady?: boolean; port?: number } = {},
): Promise<ServiceProcess> {
  const infra = testInfra();
  // A restart of an instance keeps its port (and so its default INSTANCE_ID).
  const port = fixedPort ?? await freePort();
  let out = '';
  const child: ChildProcess = spawn(process.execPath, ['-r', '@swc-node/register', `apps/${service}/src/main.ts`], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      SWC_NODE_PROJECT: 'tsconfig.base.json',
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      MONGODB_URI: infra.mongodbUri,
      MONGODB_DATABASE: database,
      PORT: String(port),
      HOST: '127.0.0.1',
      NO_COLOR: '1',
      OPERATOR_TOKENS: TEST_OPERATOR_TOKEN,
      EDGE_SIGNING_SECRET: TEST_EDGE_SIGNING_SECRET,
      // Specs poll with unknown keys while a key propagates; a spec of the throttle sets its own limit.
      AUTH_FAILURE_LIMIT: TEST_AUTH_FAILURE_LIMIT,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let hasExited = false;
  void exited.then(() => { hasExited = true; });
  const url = `http://127.0.0.1:${port}`;
  const proc: ServiceProcess = {
    service, url, port, database,
    output: () => out,
    signal(signal: NodeJS.Signals) {
      if (!hasExited) child.kill(signal);
    },
    exited: () => exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (!hasExited) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      printIfATestFailed(service, port, out);
      return code;
    },
  };
  // A test of start-up itself (dependencies not up yet) watches the process on its own.
  if (!waitUntilReady) return proc;
  try {
    await waitFor(`${service} to report ready`, async () => {
      if (hasExited) throw new Error(`${service} exited:\n${out}`);
      const res = await fetch(`${url}/ready`);
      return res.status === 200;
    }, { timeoutMs: readyTimeoutMs, intervalMs: 100 });
  } catch (e) {
    await proc.stop('SIGKILL');
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- ${service} output ---\n${out}`);
  }
  return proc;
}

const PRINTED_LINES = 200;

/**
 * After a failed test or hook of this spec file (tools/test/environment.cjs sets the flag), the
 * last lines a stopped service printed go to stderr: what it logged while the test waited in vain
 * is the other half of the failure's story, and CI keeps nothing else of it.
 */
function printIfATestFailed(service: ServiceName, port: number, out: string): void {
  if (Reflect.get(globalThis, '__keywardTestFailed') !== true) return;
  const lines = out.trimEnd().split('\n');
  const tail = lines.slice(-PRINTED_LINES).join('\n');
  // Errors logged before the tail (a 500's "unhandled error" line, drowned by a broker outage's retry warnings).
  const earlierErrors = lines.slice(0, -PRINTED_LINES).filter((l) => ERROR_LINE.test(l)).slice(-PRINTED_ERRORS);
  const errors = earlierErrors.length > 0 ? `--- ${service}: the last ${earlierErrors.length} error lines before them ---\n${earlierErrors.join('\n')}\n` : '';
  process.stderr.write(`--- a test of this file failed: ${service} on port ${port} printed (last ${Math.min(lines.length, PRINTED_LINES)} of ${lines.length} lines) ---\n${errors}${tail}\n--- end of ${service} on port ${port} ---\n`);
}

const PRINTED_ERRORS = 20;
/** pino's JSON (level 50 and up) or its pretty form. */
const ERROR_LINE = /"level":("(error|fatal)"|[56]0)|\bERROR\b|\bFATAL\b/;

/** Runs one of the repo's TypeScript entry points (a CLI) to completion and returns what it printed. */
export async function runTsScript(
  script: string,
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', script, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, SWC_NODE_PROJECT: 'tsconfig.base.json', NO_COLOR: '1', EDGE_SIGNING_SECRET: TEST_EDGE_SIGNING_SECRET, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}
