import { spawn, spawnSync } from 'node:child_process';
import { existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { InfraError } from './errors.mjs';

/** Runs a command to completion; throws an InfraError carrying its output on failure. */
export function run(cmd, args, { cwd, env, what } = {}) {
  const res = spawnSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (res.error) throw new InfraError(`${what ?? cmd}: cannot run ${cmd}: ${res.error.message}`);
  if (res.status !== 0) {
    const out = `${res.stdout ?? ''}${res.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
    throw new InfraError(`${what ?? cmd} failed (exit ${res.status}):\n${out}`);
  }
  return res.stdout;
}

/** Checks that a tool is on PATH, answering with an install hint when it is not. */
export function requireTool(cmd, versionArgs, hint) {
  const res = spawnSync(cmd, versionArgs, { encoding: 'utf8' });
  if (res.error) throw new InfraError(`${cmd} is not installed or not on PATH`, hint);
  return `${res.stdout}${res.stderr}`;
}

/** Resolves when nothing listens on 127.0.0.1:port; rejects with a clear error otherwise. */
export function assertPortFree(port, whatFor, envVar) {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', () =>
      reject(new InfraError(`port ${port} (for ${whatFor}) is taken on 127.0.0.1`,
        `stop what listens there (ss -ltnp 'sport = :${port}') or choose another port with ${envVar}=<port>`)));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve()));
  });
}

/** Asks the OS for a free loopback port. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen({ port: 0, host: '127.0.0.1' }, () => {
      const { port } = /** @type {net.AddressInfo} */ (srv.address());
      srv.close(() => resolve(port));
    });
  });
}

export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Kills the process a pid file names, if it still runs (a leftover of a run that was killed hard). */
export async function killFromPidFile(pidFile, timeoutMs = 20_000) {
  if (!existsSync(pidFile)) return false;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  rmSync(pidFile, { force: true });
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return false;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await delay(100);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  return true;
}

export function delay(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Spawns a long-running server with its output in a log file and its pid in a pid file.
 * The returned stop() asks it to terminate, then kills it after a bound.
 */
export function spawnServer(cmd, args, { logFile, pidFile, env, cwd }) {
  const out = openSync(logFile, 'a');
  const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', out, out] });
  writeFileSync(pidFile, String(child.pid));
  let exited = false;
  const exitPromise = new Promise((resolve) => child.once('exit', (code, signal) => {
    exited = true;
    resolve({ code, signal });
  }));
  // A server must not outlive the process that started it, whatever way that process ends.
  const killOnExit = () => { if (!exited) child.kill('SIGKILL'); };
  process.once('exit', killOnExit);
  return {
    child,
    exitPromise,
    hasExited: () => exited,
    async stop(timeoutMs = 20_000) {
      process.removeListener('exit', killOnExit);
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        await exitPromise;
        clearTimeout(timer);
      }
      rmSync(pidFile, { force: true });
    },
  };
}

/** Polls check() until it returns truthy or the bound passes; fails early when bail() says so. */
export async function waitUntil(check, { timeoutMs, intervalMs = 250, bail }) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    const reason = bail?.();
    if (reason) throw new InfraError(reason);
    try {
      if (await check()) return;
    } catch (e) {
      lastError = e;
    }
    await delay(intervalMs);
  }
  return lastError ?? new Error('condition not met');
}
