import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { InfraError } from './errors.mjs';
import { CACHE_DIR, INFRA_DIR } from './paths.mjs';
import { assertPortFree, killFromPidFile, requireTool, run, spawnServer, waitUntil } from './proc.mjs';

const SRC = join(INFRA_DIR, 'ferretdb');

export function ferretDbVersion() {
  const m = /github\.com\/FerretDB\/FerretDB (v[^\s]+)/.exec(readFileSync(join(SRC, 'go.mod'), 'utf8'));
  if (!m) throw new InfraError(`no FerretDB requirement in ${join(SRC, 'go.mod')}`);
  return m[1];
}

/** Builds our FerretDB runner from its Go module once; later calls reuse the cached binary. */
export function provisionFerretDb(log = console.log) {
  const version = ferretDbVersion();
  const digest = createHash('sha256');
  for (const f of ['go.mod', 'go.sum', 'main.go']) digest.update(readFileSync(join(SRC, f)));
  const home = join(CACHE_DIR, `ferretdb-${version}-${digest.digest('hex').slice(0, 12)}`);
  const bin = join(home, 'ferretdb-runner');
  if (existsSync(bin)) return { bin, version, fresh: false };
  requireTool('go', ['version'], 'install Go 1.24 or newer and put go on PATH: it builds FerretDB from its Go module');
  log(`[infra] building FerretDB ${version} (SQLite backend) from its Go module into ${home} ...`);
  mkdirSync(home, { recursive: true });
  run('go', ['build', '-o', `${bin}.partial`, '.'], {
    cwd: SRC, env: { CGO_ENABLED: '0', GOFLAGS: '-mod=mod' }, what: `go build (FerretDB ${version})`,
  });
  renameSync(`${bin}.partial`, bin);
  return { bin, version, fresh: true };
}

/** Starts FerretDB on 127.0.0.1:port with its SQLite files in dataDir; resolves once it answers ping. */
export async function startFerretDb({ dataDir, port, readyTimeoutMs = 30_000, log = console.log }) {
  const { bin, version } = provisionFerretDb(log);
  mkdirSync(dataDir, { recursive: true });
  const pidFile = join(dataDir, 'ferretdb.pid');
  if (await killFromPidFile(pidFile)) log(`[infra] stopped a FerretDB left running by an earlier run (${dataDir})`);
  await assertPortFree(port, 'FerretDB', 'KEYWARD_MONGODB_PORT');
  const logFile = join(dataDir, 'ferretdb.log');
  const server = spawnServer(bin, ['--listen-addr', `127.0.0.1:${port}`, '--data-dir', join(dataDir, 'sqlite')], {
    logFile, pidFile,
  });
  const uri = `mongodb://127.0.0.1:${port}/`;
  const err = await waitUntil(() => mongoAnswers(uri), {
    timeoutMs: readyTimeoutMs,
    bail: () => server.hasExited() ? `FerretDB exited during start-up; see ${logFile}` : undefined,
  });
  if (err) {
    await server.stop(5_000);
    throw new InfraError(`FerretDB did not become ready in ${readyTimeoutMs / 1000} s (last error: ${err.message})`,
      `read ${logFile}`);
  }
  return { uri, version, logFile, stop: () => server.stop() };
}

async function mongoAnswers(uri) {
  const { default: mongoose } = await import('mongoose');
  const conn = mongoose.createConnection(uri, { serverSelectionTimeoutMS: 1000 });
  try {
    await conn.asPromise();
    const res = await conn.db.admin().command({ ping: 1 });
    return res.ok === 1;
  } finally {
    await conn.close().catch(() => undefined);
  }
}
