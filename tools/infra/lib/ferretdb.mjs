import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { InfraError } from './errors.mjs';
import { CACHE_DIR, INFRA_DIR } from './paths.mjs';
import { assertPortFree, isAlive, killFromPidFile, requireTool, run, spawnServer, waitUntil } from './proc.mjs';

const SRC = join(INFRA_DIR, 'ferretdb');
/** Patches applied to FerretDB's module source before it is built; see patches/README.md for why. */
const PATCHES = join(SRC, 'patches');
const MODULE = 'github.com/FerretDB/FerretDB';
/** Bump when the build recipe below changes in a way that must not reuse an older cached binary. */
const RECIPE = 'patched-module-copy/1';
/** How long a process waits for another one that builds the same FerretDB (a cold build takes 1-3 min). */
const BUILD_WAIT_MS = 15 * 60_000;

export function ferretDbVersion() {
  const m = /github\.com\/FerretDB\/FerretDB (v[^\s]+)/.exec(readFileSync(join(SRC, 'go.mod'), 'utf8'));
  if (!m) throw new InfraError(`no FerretDB requirement in ${join(SRC, 'go.mod')}`);
  return m[1];
}

/** The patch files, in the order they are applied (by name). */
export function ferretDbPatches() {
  return existsSync(PATCHES) ? readdirSync(PATCHES).filter((f) => f.endsWith('.patch')).sort().map((f) => join(PATCHES, f)) : [];
}

/**
 * Builds our FerretDB runner from its Go module once; later calls reuse the cached binary.
 *
 * The cache key covers everything that goes into the binary: the runner's go.mod, go.sum and main.go,
 * every patch (name and content) and the recipe. Safe when several processes provision at once (test
 * runs of several engineers): each builds in its own temporary directory that is renamed into place
 * atomically, so nobody ever sees a half-built cache entry; a lock directory only spares the others
 * the duplicate work (a lock whose owner died is taken over).
 */
export function provisionFerretDb(log = console.log) {
  const version = ferretDbVersion();
  const patches = ferretDbPatches();
  const digest = createHash('sha256').update(RECIPE);
  for (const f of ['go.mod', 'go.sum', 'main.go']) digest.update(`\0${f}\0`).update(readFileSync(join(SRC, f)));
  for (const p of patches) digest.update(`\0${basename(p)}\0`).update(readFileSync(p));
  const home = join(CACHE_DIR, `ferretdb-${version}-${digest.digest('hex').slice(0, 12)}`);
  const bin = join(home, 'ferretdb-runner');
  if (existsSync(bin)) return { bin, version, patches: patches.map((p) => basename(p)), fresh: false };

  requireTool('go', ['version'], 'install Go 1.24 or newer and put go on PATH: it builds FerretDB from its Go module');
  // git applies the patches (it is there wherever this repository was cloned; GNU patch is not on every machine).
  if (patches.length > 0) requireTool('git', ['--version'], 'install git: it applies tools/infra/ferretdb/patches');
  mkdirSync(CACHE_DIR, { recursive: true });
  const fresh = withBuildLock(`${home}.lock`, () => existsSync(bin), log, () => {
    log(`[infra] building FerretDB ${version} (SQLite backend, ${patches.length} patch(es)) from its Go module into ${home} ...`);
    buildInto(home, version, patches);
  });
  if (!existsSync(bin)) throw new InfraError(`FerretDB build finished but ${bin} is missing`);
  return { bin, version, patches: patches.map((p) => basename(p)), fresh };
}

/**
 * Copies FerretDB's module from the Go module cache into a build directory, applies the patches there
 * (the module cache stays pristine, like patch-package does for node_modules), builds the runner against
 * that copy through a `replace` directive, and renames the finished directory to `home`.
 */
function buildInto(home, version, patches) {
  const tmp = `${home}.build-${process.pid}-${randomBytes(4).toString('hex')}`;
  const goEnv = { CGO_ENABLED: '0', GOFLAGS: '-mod=mod -buildvcs=false' };
  try {
    const info = JSON.parse(run('go', ['mod', 'download', '-json', `${MODULE}@${version}`], {
      cwd: SRC, env: goEnv, what: `go mod download (FerretDB ${version})`,
    }));
    if (typeof info.Dir !== 'string' || !existsSync(info.Dir)) {
      throw new InfraError(`go mod download did not give a source directory for ${MODULE}@${version}`, info.Error);
    }
    const src = join(tmp, 'ferretdb-src');
    cpSync(info.Dir, src, { recursive: true });
    makeWritable(src); // the module cache's files are read-only, and cpSync keeps their modes
    for (const p of patches) {
      // Outside any repository (the ceiling stops git's search at the build directory) git apply works as patch -p1.
      run('git', ['apply', '-p1', '--whitespace=nowarn', p], {
        cwd: src, env: { GIT_CEILING_DIRECTORIES: tmp },
        what: `applying ${basename(p)} to FerretDB ${version} (does the patch still match this FerretDB version?)`,
      });
    }
    const runner = join(tmp, 'runner');
    mkdirSync(runner, { recursive: true });
    for (const f of ['go.mod', 'go.sum', 'main.go']) copyFileSync(join(SRC, f), join(runner, f));
    run('go', ['mod', 'edit', `-replace=${MODULE}=../ferretdb-src`], { cwd: runner, env: goEnv, what: 'go mod edit' });
    run('go', ['build', '-o', join(tmp, 'ferretdb-runner'), '.'], {
      cwd: runner, env: goEnv, what: `go build (FerretDB ${version})`,
    });
    writeFileSync(join(tmp, 'BUILD-INFO.txt'), [
      `FerretDB ${version} (${MODULE}), built ${new Date().toISOString()} by tools/infra`,
      `recipe: ${RECIPE}`,
      `patches: ${patches.map((p) => basename(p)).join(', ') || 'none'}`,
      'patched source: ferretdb-src/, runner module: runner/',
      '',
    ].join('\n'));
    try {
      renameSync(tmp, home);
    } catch (e) {
      // Another process (without the lock: a stale-lock takeover race) finished first; its build is as good.
      if (!existsSync(join(home, 'ferretdb-runner'))) throw e;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function makeWritable(dir) {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) makeWritable(p);
    else chmodSync(p, 0o644);
  }
}

/**
 * Runs build() while holding lockDir (mkdir is atomic). When another live process holds it, waits
 * until done() is true or the lock is released; a lock whose owner died is removed and retried.
 * Answers whether this process did the build.
 */
function withBuildLock(lockDir, done, log, build) {
  const deadline = Date.now() + BUILD_WAIT_MS;
  let announced = false;
  for (;;) {
    if (done()) return false;
    try {
      mkdirSync(lockDir);
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      const owner = lockOwner(lockDir);
      if (owner !== undefined && (owner === 0 || !isAlive(owner))) {
        log(`[infra] removing a FerretDB build lock left by process ${owner || 'unknown'}, which is gone`);
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new InfraError(`waited ${BUILD_WAIT_MS / 60_000} min for another process building FerretDB (${lockDir})`,
          `if no build is running, delete ${lockDir}`);
      }
      if (!announced) log(`[infra] another process (${owner ?? 'starting'}) is building FerretDB; waiting for it ...`);
      announced = true;
      sleepSync(500);
      continue;
    }
    try {
      writeFileSync(join(lockDir, 'owner'), String(process.pid));
      if (done()) return false;
      removeAbandonedBuilds(lockDir);
      build();
      return true;
    } finally {
      rmSync(lockDir, { recursive: true, force: true });
    }
  }
}

function lockOwner(lockDir) {
  try {
    const pid = Number(readFileSync(join(lockDir, 'owner'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    // The owner has made the directory but not yet written its pid; treat a very old one as abandoned.
    try {
      return Date.now() - statSync(lockDir).mtimeMs > 60_000 ? 0 : undefined;
    } catch {
      return undefined;
    }
  }
}

/** Deletes build directories of processes that died mid-build (the lock holder is the only builder). */
function removeAbandonedBuilds(lockDir) {
  const prefix = `${basename(lockDir, '.lock')}.build-`;
  for (const name of readdirSync(dirname(lockDir))) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (!isAlive(pid)) rmSync(join(dirname(lockDir), name), { recursive: true, force: true });
  }
}

function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Starts FerretDB on 127.0.0.1:port with its SQLite files in dataDir; resolves once it answers ping. */
export async function startFerretDb({ dataDir, port, readyTimeoutMs = 120_000, log = console.log }) {
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
