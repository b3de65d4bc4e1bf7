// The infrastructure and the platform under benchmark: Kafka and FerretDB (started here unless
// KAFKA_BROKERS and MONGODB_URI are set), the first admin key from the bootstrap CLI, and the six
// apps as their own processes on one topic prefix, each with its own database.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { externalInfra, startInfra } from '../../infra/lib/infra.mjs';
import { kafkaVersion } from '../../infra/lib/kafka.mjs';
import { ferretDbVersion } from '../../infra/lib/ferretdb.mjs';
import { freePort } from '../../infra/lib/proc.mjs';
import { bearer, request } from './http.mjs';
import { REPO_ROOT, spawnService, waitFor } from './proc.mjs';

const require = createRequire(import.meta.url);
export const { Kafka, logLevel, Partitioners } = require('kafkajs');
export const mongoose = require('mongoose');

export const SERVICES = ['keys', 'sessions', 'tickets', 'technicians', 'devices', 'edge'];
export const benchName = (what) => `bench_${what}_${randomBytes(4).toString('hex')}`;

/** Kafka and FerretDB for this run: the caller's (env) or our own on free ports in a temp dir. */
export async function startBenchInfra(log) {
  const external = externalInfra();
  if (external) {
    log(`[infra] using KAFKA_BROKERS=${external.KAFKA_BROKERS} MONGODB_URI=${external.MONGODB_URI}`);
    return { env: { ...external }, external: true, async stop() {} };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'keyward-bench-'));
  const infra = await startInfra({ dataDir, ports: 'free', log });
  return {
    env: infra.env,
    external: false,
    async stop() {
      await infra.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function kafkaClient(env, clientId = benchName('client')) {
  return new Kafka({ clientId, brokers: env.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING, retry: { initialRetryTime: 100, retries: 8 } });
}

/** The topic config every service uses (tools' copy of @keyward/messaging's eventTopic). */
export function eventTopicConfig(topic) {
  return {
    topic, numPartitions: 3, replicationFactor: -1,
    configEntries: [{ name: 'retention.ms', value: '-1' }, { name: 'retention.bytes', value: '-1' }, { name: 'cleanup.policy', value: 'delete' }],
  };
}

/**
 * Creates an event topic and returns once every partition's leader answers (the bench's counterpart of
 * @keyward/messaging's ensureTopics): a topic used right after createTopics can still answer "This server
 * does not host this topic-partition" on a loaded machine. Bounded: 60 s, then the last error.
 */
export async function createEventTopic(kafka, topic) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + 60_000;
    let created = false;
    for (let attempt = 1; ; attempt++) {
      try {
        // createTopics too: a broker busy with the deletion of an earlier run's topics answers it with
        // a protocol error of its own. Once created, a repeated call answers false, not an error.
        if (!created) {
          await admin.createTopics({ topics: [eventTopicConfig(topic)], waitForLeaders: true });
          created = true;
        }
        const offsets = await admin.fetchTopicOffsets(topic);
        if (offsets.length === 3) return;
        throw new Error(`${topic} has ${offsets.length} of 3 partitions so far`);
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, Math.min(1000, 50 * attempt)));
      }
    }
  } finally {
    await admin.disconnect();
  }
}

/** Versions for the report: Kafka from the broker-provisioning pom, FerretDB as the server says. */
export async function infraVersions(env) {
  let ferretdb = `${ferretDbVersion()} (tools/infra)`;
  const conn = await mongoose.createConnection(env.MONGODB_URI, { dbName: 'admin' }).asPromise();
  try {
    const info = await conn.db.admin().command({ buildInfo: 1 });
    if (!info.ferretdbVersion) ferretdb = `not FerretDB: MongoDB ${info.version}`;
    // A FerretDB built from the Go module reports "unknown" (its generated version file is empty).
    else ferretdb = `${info.ferretdbVersion === 'unknown' ? ferretDbVersion() : info.ferretdbVersion} (MongoDB wire version ${info.version})`;
  } catch {
    // keep the provisioned version
  } finally {
    await conn.close();
  }
  return { kafka: `${kafkaVersion()} (as provisioned by tools/infra)`, ferretdb };
}

/** Drops databases and deletes topics a benchmark made. */
export async function cleanUp(env, { databases = [], topicPrefix } = {}) {
  for (const db of databases) {
    const conn = await mongoose.createConnection(env.MONGODB_URI, { dbName: db }).asPromise();
    await conn.dropDatabase().catch(() => undefined);
    await conn.close();
  }
  if (topicPrefix) {
    const admin = kafkaClient(env).admin();
    await admin.connect();
    try {
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(topicPrefix));
      if (topics.length) await admin.deleteTopics({ topics, timeout: 30_000 }).catch(() => undefined);
    } finally {
      await admin.disconnect();
    }
  }
}

/** Waits until GET /ready answers 200; throws with the process output when it exits first. */
export async function waitReady(proc, url, timeoutMs = 180_000) {
  const exited = proc.exited.then((code) => {
    throw new Error(`${proc.service} exited (${code}) before it was ready`);
  });
  const ready = waitFor(`${proc.service} to report ready`, async () => {
    if (proc.hasExited()) return 'exited';
    const res = await request(`${url}/ready`, { timeoutMs: 5000 });
    return res.status === 200;
  }, { timeoutMs, intervalMs: 25 });
  try {
    await Promise.race([ready, exited]);
  } catch (e) {
    await proc.stop();
    throw new Error(`${e.message}\n--- ${proc.service} output ---\n${proc.output().slice(-4000)}`);
  }
  exited.catch(() => undefined);
}

/**
 * A route of each service its key guard protects (the edge authorizes and forwards the keys one):
 * asked with a key lacking its permission it is a cheap 403 from the guard while the key works,
 * and 401 once a change to the key is enforced.
 */
export const PROBE_PATHS = {
  edge: '/v1/keys?limit=1', keys: '/v1/keys?limit=1', sessions: '/v1/sessions/history?limit=1', tickets: '/v1/tickets?limit=1',
  technicians: '/v1/technicians?limit=1', devices: '/v1/devices?limit=1',
};

/** The six apps on one topic prefix, one database each, started and stopped by name. */
export class Platform {
  constructor(env, log) {
    this.env = env;
    this.log = log;
    this.prefix = `${benchName('platform')}.`;
    this.signingSecret = randomBytes(32).toString('base64url');
    this.databases = new Map();
    this.ports = new Map();
    this.running = new Map();
    /** The platform operator token of this run (OPERATOR_TOKENS of every app): /admin and /metrics. */
    this.operatorToken = randomBytes(32).toString('base64url');
  }

  database(service) {
    if (!this.databases.has(service)) this.databases.set(service, benchName(service));
    return this.databases.get(service);
  }

  url(service) {
    return `http://127.0.0.1:${this.ports.get(service)}`;
  }

  serviceEnv(service, extra = {}) {
    const env = {
      KAFKA_BROKERS: this.env.KAFKA_BROKERS,
      MONGODB_URI: this.env.MONGODB_URI,
      MONGODB_DATABASE: this.database(service),
      KAFKA_TOPIC_PREFIX: this.prefix,
      PORT: String(this.ports.get(service) ?? 0),
      LOG_LEVEL: 'warn',
      TRUSTED_PROXIES: '',
      OPERATOR_TOKENS: this.operatorToken,
      // The edge signs its assertions to the services with it (one per bench platform).
      EDGE_SIGNING_SECRET: this.signingSecret,
      // The benchmarks poll with keys still propagating (401 unknown_key); no throttle in the way.
      AUTH_FAILURE_LIMIT: '1000000',
      ...extra,
    };
    if (service === 'edge') {
      // The platform's instance of each service, unless the caller lists its own (the scale benchmark's two keys instances).
      for (const s of SERVICES) if (s !== 'edge' && this.ports.has(s)) env[`${s.toUpperCase()}_URL`] = extra[`${s.toUpperCase()}_URL`] ?? this.url(s);
      // The edge benchmark measures what forwarding costs at saturation (32 connections), not the
      // edge's shedding: its per-instance bound (16 in flight, 50 ms queue) would answer part of
      // that load 503 overloaded. The caller's own settings still win.
      env.UPSTREAM_MAX_IN_FLIGHT = extra.UPSTREAM_MAX_IN_FLIGHT ?? '64';
    }
    return env;
  }

  /** Creates the account's first admin key with the bootstrap CLI, as an operator would. */
  bootstrapAdmin(accountId = 'acc_bench') {
    const res = spawnSync(process.execPath, ['-r', '@swc-node/register', 'apps/keys/src/bootstrap/bootstrap.cli.ts', '--account', accountId, '--json'], {
      cwd: REPO_ROOT, encoding: 'utf8',
      env: { ...process.env, ...this.serviceEnv('keys'), SWC_NODE_PROJECT: 'tsconfig.base.json', LOG_LEVEL: 'error', NO_COLOR: '1' },
    });
    if (res.status !== 0) throw new Error(`bootstrap exited ${res.status}:\n${res.stderr}${res.stdout}`);
    const out = JSON.parse(res.stdout.trim().split('\n').pop() ?? '{}');
    if (out.created !== true || typeof out.secret !== 'string') throw new Error(`bootstrap did not create a key: ${res.stdout}`);
    return { accountId, keyId: out.keyId, secret: out.secret };
  }

  async start(service, { extraEnv = {}, profile = false, profileFile, readyTimeoutMs } = {}) {
    if (!this.ports.has(service)) this.ports.set(service, await freePort());
    const env = this.serviceEnv(service, { ...extraEnv, ...(profileFile ? { BENCH_PROFILE_FILE: profileFile } : {}) });
    const started = performance.now();
    const proc = spawnService(service, env, { profile });
    this.running.set(service, proc);
    await waitReady(proc, this.url(service), readyTimeoutMs);
    return { proc, readyMs: performance.now() - started };
  }

  /** Everything: the admin key, then keys, then the others. */
  async startAll() {
    for (const s of SERVICES) this.ports.set(s, await freePort());
    const t0 = performance.now();
    this.admin = this.bootstrapAdmin();
    this.log(`[platform] admin key ${this.admin.keyId} bootstrapped (${Math.round(performance.now() - t0)} ms); starting the apps ...`);
    await this.start('keys', this.profileOptions('keys'));
    // The rest at once: their start-up is CPU-bound compilation and Nest wiring, which overlaps
    // with their waits on Kafka and the database.
    await Promise.all(SERVICES.filter((s) => s !== 'keys').map((s) => this.start(s, this.profileOptions(s))));
    // Every service must know the admin key before anything is measured.
    for (const s of SERVICES) {
      await waitFor(`${s} to know the admin key`, async () => (await request(`${this.url(s)}${PROBE_PATHS[s]}`, { headers: bearer(this.admin.secret) })).status === 200, { timeoutMs: 60_000 });
    }
    this.log(`[platform] six apps ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }

  /** Services listed in `profileFiles` get the on-demand profiler (see workers/profiler-preload.ts). */
  profileOptions(service) {
    const profileFile = this.profileFiles?.[service];
    return profileFile ? { profile: true, profileFile } : {};
  }

  process(service) {
    return this.running.get(service);
  }

  async stop(service) {
    const proc = this.running.get(service);
    this.running.delete(service);
    return proc?.stop();
  }

  async close({ dropDatabases = true } = {}) {
    await Promise.all([...this.running.keys()].map((s) => this.stop(s)));
    if (dropDatabases) await cleanUp(this.env, { databases: [...this.databases.values()], topicPrefix: this.prefix });
  }
}
