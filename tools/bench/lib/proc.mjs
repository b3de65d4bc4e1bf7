// Child processes of the bench: TypeScript workers (run like the apps, through @swc-node/register)
// that answer one JSON line, and the platform's services.
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const RESULT_PREFIX = 'BENCH_RESULT ';

/**
 * Runs tools/bench/workers/<name>.worker.ts in its own process with `input` as JSON and resolves
 * with the JSON it printed on its result line. Its other output goes to our stderr when verbose.
 */
export function runWorker(name, input, { nodeArgs = [], env = {}, timeoutMs = 30 * 60_000, log = () => {} } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, '-r', '@swc-node/register', join('tools/bench/workers', `${name}.worker.ts`)], {
      cwd: REPO_ROOT,
      env: { ...process.env, SWC_NODE_PROJECT: 'tsconfig.base.json', NO_COLOR: '1', BENCH_INPUT: JSON.stringify(input), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => {
      stderr += d;
      for (const line of String(d).split('\n')) if (line.trim()) log(`  [${name}] ${line}`);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (code !== 0 || !line) {
        reject(new Error(`worker ${name} exited ${code ?? signal} without a result:\n${(stderr + stdout).slice(-4000)}`));
        return;
      }
      resolvePromise(JSON.parse(line.slice(RESULT_PREFIX.length)));
    });
  });
}

/**
 * Starts one app as its own process (as `npm start` does). `profile` preloads the bench's
 * on-demand CPU profiler, driven over an IPC channel (lib/profile-window.mjs). See waitReady.
 */
export function spawnService(service, env, { profile = false } = {}) {
  const args = ['-r', '@swc-node/register'];
  if (profile) args.push('-r', './tools/bench/workers/profiler-preload.ts');
  args.push(`apps/${service}/src/main.ts`);
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, SWC_NODE_PROJECT: 'tsconfig.base.json', NO_COLOR: '1', LOG_LEVEL: 'warn', HOST: '127.0.0.1', ...env },
    stdio: profile ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d) => {
    output += d;
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((r) => child.once('exit', (code, signal) => r(code ?? signal)));
  return {
    service,
    child,
    output: () => output,
    exited,
    hasExited: () => child.exitCode !== null || child.signalCode !== null,
    async stop(timeoutMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs one named step of a benchmark; a failure says which step it was (`<what>: <error>`, the
 * original as its cause), so a failed run's one line points at the call that failed.
 */
export async function step(what, fn) {
  try {
    return await fn();
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (message.startsWith(`${what}: `)) throw e;
    throw new Error(`${what}: ${message}`, { cause: e });
  }
}

/** Polls `probe` until it returns something other than undefined/false; throws after timeoutMs. */
export async function waitFor(what, probe, { timeoutMs = 60_000, intervalMs = 50 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError.message})` : ''}`);
    }
    await sleep(intervalMs);
  }
}
