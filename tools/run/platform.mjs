#!/usr/bin/env node
// `npm start`: the whole platform on this machine. Installs npm dependencies if needed, starts
// Kafka and FerretDB (unless KAFKA_BROKERS and MONGODB_URI are set), then every app as its own
// process, waits until each reports ready and prints their URLs. Ctrl-C stops everything.
// `npm start -- --instances sessions=2,edge=2` (or KEYWARD_INSTANCES=sessions=2,edge=2) runs
// several instances of an app: instance i on its port + 100*i with INSTANCE_ID <app>-<i>; the
// edge gets every instance's URL (docs/scaling.md).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureDependencies } from '../lib/dependencies.mjs';

ensureDependencies();
const { DATA_DIR, REPO_ROOT } = await import('../infra/lib/paths.mjs');
const { externalInfra, startInfra } = await import('../infra/lib/infra.mjs');
const { waitUntil } = await import('../infra/lib/proc.mjs');

const APPS = [
  ['edge', 3000], ['keys', 3001], ['sessions', 3002], ['tickets', 3003], ['technicians', 3004], ['devices', 3005],
];
const INSTANCE_PORT_STEP = 100;

/** `sessions=2,edge=2` as a count per app (1 for the others); a wrong entry stops the start. */
function instanceCounts() {
  const { values } = parseArgs({ options: { instances: { type: 'string' } }, strict: false });
  const spec = (typeof values.instances === 'string' ? values.instances : undefined) ?? process.env.KEYWARD_INSTANCES ?? '';
  const counts = new Map(APPS.map(([name]) => [name, 1]));
  for (const entry of spec.split(',').map((e) => e.trim()).filter(Boolean)) {
    const m = /^([a-z]+)=(\d+)$/.exec(entry);
    if (!m || !counts.has(m[1]) || Number(m[2]) < 1 || Number(m[2]) > 9) {
      console.error(`[platform] --instances entry "${entry}" is not <app>=<1..9> with app one of ${APPS.map(([n]) => n).join(', ')}`);
      process.exit(2);
    }
    counts.set(m[1], Number(m[2]));
  }
  return counts;
}
const counts = instanceCounts();
const host = process.env.HOST ?? '127.0.0.1';
// HOST may list several hosts (`127.0.0.1,::1`); the first is where the apps are reached from here.
const firstHost = host.split(',')[0].trim();
const urlHost = firstHost.includes(':') ? `[${firstHost}]` : firstHost;
const logDir = join(DATA_DIR, 'logs');
mkdirSync(logDir, { recursive: true });

/** @type {{ stop(): Promise<void> } | undefined} */
let infra;
/** While Kafka and FerretDB start: a signal then waits for them, to stop them too. */
let infraStarting;
/** @type {Map<string, import('node:child_process').ChildProcess>} */
const children = new Map();
let stopping = false;

async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  const t0 = Date.now();
  console.log('\n[platform] stopping apps ...');
  await Promise.all([...children.values()].map((child) => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(undefined);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => { clearTimeout(timer); resolve(undefined); });
    child.kill('SIGTERM');
  })));
  if (!infra && infraStarting) infra = await infraStarting.catch(() => undefined);
  if (infra) {
    console.log(`[platform] apps stopped in ${((Date.now() - t0) / 1000).toFixed(1)} s; stopping Kafka and FerretDB ...`);
    await infra.stop();
  }
  console.log(`[platform] stopped in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  process.exit(code);
}
// `npm start` runs this with exec (package.json), so npm's SIGINT/SIGTERM reach this process, not
// only a shell; each stops every app, then Kafka and FerretDB (tools/run/platform-signals.e2e.spec.ts).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => void shutdown(0));

/**
 * The platform operator tokens (OPERATOR_TOKENS of every app; docs/operators.md): the caller's when
 * set, otherwise one generated for this data directory and kept beside the data (owner-only), so a
 * restart keeps it. `created` is the new token, to be shown once; a rotation edits the file.
 */
function operatorTokens() {
  if (process.env.OPERATOR_TOKENS) return { tokens: process.env.OPERATOR_TOKENS, file: undefined, created: undefined };
  const file = join(DATA_DIR, 'operator-tokens');
  if (existsSync(file)) return { tokens: readFileSync(file, 'utf8').trim(), file, created: undefined };
  const token = randomBytes(32).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { tokens: token, file, created: token };
}

try {
  let env = externalInfra();
  if (env) {
    console.log(`[platform] using KAFKA_BROKERS=${env.KAFKA_BROKERS} MONGODB_URI=${env.MONGODB_URI}`);
  } else {
    infraStarting = startInfra({ dataDir: DATA_DIR });
    infra = await infraStarting;
    env = infra.env;
  }
  // A signal came while Kafka and FerretDB started: shutdown() stops them and exits; start no app.
  if (stopping) await new Promise(() => undefined);

  // The edge signs what it asserts to the services with a secret they share: a fresh one per run
  // (never printed), unless the caller brings one.
  env = { ...env, EDGE_SIGNING_SECRET: process.env.EDGE_SIGNING_SECRET ?? randomBytes(32).toString('base64url') };

  // The first account's admin key, before the apps start, so every projection knows it at once.
  const boot = spawnSync(process.execPath, ['-r', '@swc-node/register', 'apps/keys/src/bootstrap/bootstrap.cli.ts', '--json'], {
    cwd: REPO_ROOT, env: { ...process.env, ...env, SWC_NODE_PROJECT: 'tsconfig.base.json', LOG_LEVEL: 'error' }, encoding: 'utf8',
  });
  if (boot.status !== 0) throw new Error(`bootstrapping the admin key failed:\n${boot.stderr}${boot.stdout}`);
  const admin = JSON.parse(boot.stdout.trim().split('\n').pop());
  const operator = operatorTokens();

  // Every instance of every app: its port and INSTANCE_ID; the edge forwards to all of a service's.
  const instances = APPS.flatMap(([name, defaultPort]) => Array.from({ length: counts.get(name) }, (_, i) => {
    const port = Number(process.env[`${name.toUpperCase()}_PORT`] ?? defaultPort) + INSTANCE_PORT_STEP * i;
    return { app: name, key: i === 0 ? name : `${name}-${i}`, port, instanceId: `${name}-${i}` };
  }));
  const urlsOf = (app) => instances.filter((x) => x.app === app).map((x) => `http://${urlHost}:${x.port}`);
  const upstreamUrls = Object.fromEntries(APPS.filter(([n]) => n !== 'edge').map(([n]) => [`${n.toUpperCase()}_URL`, urlsOf(n).join(',')]));
  // `npm run replay -- status` lists every instance from this file.
  writeFileSync(join(DATA_DIR, 'instances.json'), `${JSON.stringify(Object.fromEntries(APPS.map(([n]) => [n, urlsOf(n)])), null, 2)}\n`);

  for (const { app: name, key, port, instanceId } of instances) {
    const log = createWriteStream(join(logDir, `${key}.log`), { flags: 'a' });
    const child = spawn(process.execPath, ['-r', '@swc-node/register', `apps/${name}/src/main.ts`], {
      cwd: REPO_ROOT,
      env: {
        ...process.env, ...env, SWC_NODE_PROJECT: 'tsconfig.base.json', PORT: String(port), HOST: host, NO_COLOR: '1',
        // Proxies in front of the edge (none here). The services believe a client address only
        // under the edge's signature (EDGE_SIGNING_SECRET), never by the sender's address.
        TRUSTED_PROXIES: name === 'edge' ? (process.env.EDGE_TRUSTED_PROXIES ?? '') : '',
        OPERATOR_TOKENS: operator.tokens,
        INSTANCE_ID: instanceId,
        ...(name === 'edge' ? upstreamUrls : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    child.once('exit', (code, signal) => {
      if (!stopping) {
        console.error(`[platform] ${key} exited (${signal ?? code}); its log: ${join(logDir, `${key}.log`)}`);
        void shutdown(1);
      }
    });
    children.set(key, child);
    child.port = port;
  }

  const started = Date.now();
  await Promise.all([...children.entries()].map(async ([name, child]) => {
    const err = await waitUntil(async () => (await fetch(`http://${urlHost}:${child.port}/ready`)).status === 200, {
      timeoutMs: 120_000, intervalMs: 250,
    });
    if (err) throw new Error(`${name} did not report ready within 120 s; its log: ${join(logDir, `${name}.log`)}`);
  }));

  console.log(`\n[platform] all apps ready in ${((Date.now() - started) / 1000).toFixed(1)} s (logs in ${logDir}):`);
  for (const [name, child] of children) console.log(`  ${name.padEnd(12)} http://${urlHost}:${child.port}`);
  const edgeUrl = `http://${urlHost}:${children.get('edge').port}`;
  if (admin.created) {
    console.log(`\n[platform] created the admin key ${admin.keyId} of account ${admin.accountId}. Its secret is shown ONCE, now:\n`);
    console.log(`  export KEYWARD_ADMIN_KEY=${admin.secret}\n`);
  } else {
    console.log(`\n[platform] account ${admin.accountId} has its admin key ${admin.keyId} (${admin.tokenPrefix}...): its secret was shown`);
    console.log('           when it was created and is stored nowhere; if it is lost, run `npm run infra -- wipe` for a fresh start.');
  }
  if (operator.created) {
    console.log(`[platform] created the platform operator token (for /admin and /metrics, never an account's) in ${operator.file}. Shown ONCE, now:\n`);
    console.log(`  export KEYWARD_OPERATOR_TOKEN=${operator.created}\n`);
  } else if (operator.file) {
    console.log(`[platform] the platform operator token (for /admin and /metrics) is the one in ${operator.file}`);
  }
  console.log(`[platform] the API is at the edge: ${edgeUrl} (reference: ${edgeUrl}/docs)`);
  console.log(`[platform] try: curl -H "Authorization: Bearer $KEYWARD_ADMIN_KEY" ${edgeUrl}/v1/keys`);
  console.log('\n[platform] Ctrl-C stops everything');
} catch (e) {
  console.error(`[platform] ${e instanceof Error ? e.message : String(e)}`);
  await shutdown(1);
}
