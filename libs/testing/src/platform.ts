import mongoose from 'mongoose';
import type { ServiceName } from '@keyward/contracts';
import { keyProbe, PROBE_PERMISSIONS } from './key-probe';
import { TEST_OPERATOR_TOKEN } from './operator-token';
import type { ServiceProcess } from './service-process';
import { runTsScript, startServiceProcess } from './service-process';
import { TEST_AUTH_FAILURE_LIMIT, TEST_EDGE_SIGNING_SECRET } from './edge-signing';
import { assertTestDatabase, testInfra, testName } from './test-infra';
import { waitFor } from './wait-for';

/**
 * The platform as separate processes for end-to-end specs: one topic prefix
 * shared by every service (the keys service publishes `<prefix>keys.events`, the others consume
 * it), one database per service, the first admin key made by the bootstrap CLI, and small clients
 * for the keys API, for a key-guarded route of each service and for the operator routes.
 */

export interface Reply {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly contentType: string | null;
  /** The raw answer. */
  readonly text: string;
  /** The problem `code` of a refusal; undefined on success. */
  readonly code: string | undefined;
}

export interface CallOptions {
  /** The key sent as a Bearer token; none when undefined or null. */
  readonly secret?: string | null;
  /** An object is sent as JSON, a string as is. */
  readonly body?: unknown;
  /** Content-Type; default application/json when there is a body. */
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** One HTTP call, answered as status, content type, parsed body (an object, or {} when not JSON), raw text, problem code. */
export async function call(baseUrl: string, method: string, path: string, { secret, body, contentType, headers = {} }: CallOptions = {}): Promise<Reply> {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      ...(secret !== undefined && secret !== null ? { authorization: `Bearer ${secret}` } : {}),
      ...(payload !== undefined || contentType !== undefined ? { 'content-type': contentType ?? 'application/json' } : {}),
      ...headers,
    },
    ...(payload !== undefined ? { body: payload } : {}),
  });
  const text = await res.text();
  let parsed: unknown = {};
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = {};
  }
  const record = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  const code = res.status >= 400 && typeof record['code'] === 'string' ? record['code'] : undefined;
  return { status: res.status, body: record, contentType: res.headers.get('content-type'), text, code };
}

/** What the guard answered, reduced to what a test compares: `200` or `401 key_revoked`. */
export function outcome(reply: Reply): string {
  return reply.code === undefined ? String(reply.status) : `${reply.status} ${reply.code}`;
}

/** A service to probe: its name picks the route, its URL where to send it (a ServiceProcess is one). */
export interface ProbeTarget {
  readonly service: ServiceName;
  readonly url: string;
}

/** The key-guarded probe of the target's service (keyProbe) with the key: what its guard answers. */
export function guarded(target: ProbeTarget, secret?: string, headers?: Readonly<Record<string, string>>): Promise<Reply> {
  return call(target.url, 'GET', keyProbe(target.service).path, { ...(secret !== undefined ? { secret } : {}), ...(headers ? { headers } : {}) });
}

/** A call with the test operator token (the platform's credential for /admin and /metrics). */
export function operatorCall(baseUrl: string, method: string, path: string, options: Omit<CallOptions, 'secret'> = {}): Promise<Reply> {
  return call(baseUrl, method, path, { ...options, secret: TEST_OPERATOR_TOKEN });
}

/** The key projection's counters as GET /admin/projections shows them. */
export interface KeyProjectionStatus {
  readonly name: string;
  readonly items: number;
  readonly applied: number;
  readonly duplicates: number;
  readonly gaps: number;
  readonly malformed: number;
  readonly lag: number;
  readonly caughtUp: boolean;
  /** The live consumer (docs/consumers.md): `running`, `restarting` or `stopped`, its restarts and dead letters. */
  readonly consumer: 'running' | 'restarting' | 'stopped';
  readonly restarts: number;
  readonly lastError: string | null;
  readonly deadLetters: number;
}

export async function keyProjectionStatus(baseUrl: string): Promise<KeyProjectionStatus> {
  const reply = await operatorCall(baseUrl, 'GET', '/admin/projections');
  const projections = reply.body['projections'];
  if (reply.status !== 200 || !Array.isArray(projections)) throw new Error(`GET /admin/projections answered ${reply.status} ${JSON.stringify(reply.body)}`);
  const keys = (projections as KeyProjectionStatus[]).find((p) => p.name === 'keys');
  if (!keys) throw new Error(`no keys projection in ${JSON.stringify(projections)}`);
  return keys;
}

/**
 * Waits until a service knows a key (its probe stops answering 401 unknown_key, and 503 while its
 * key projection is still catching up) and returns what it answers then.
 */
export async function waitUntilKnown(target: ProbeTarget, secret: string, what: string, timeoutMs = 15_000): Promise<Reply> {
  return waitFor(`${what} to reach ${target.service} at ${target.url}`, async () => {
    const reply = await guarded(target, secret);
    return reply.code === 'unknown_key' || reply.code === 'authorization_unavailable' ? false : reply;
  }, { timeoutMs });
}

/** Waits until a service answers its probe with `expected` (`200`, `401 key_revoked`, ...). */
export async function waitForOutcome(target: ProbeTarget, secret: string, expected: string, timeoutMs = 15_000): Promise<Reply> {
  let last = '';
  try {
    return await waitFor(`${target.service} at ${target.url} to answer ${expected}`, async () => {
      const reply = await guarded(target, secret);
      last = outcome(reply);
      return last === expected ? reply : false;
    }, { timeoutMs, intervalMs: 20 });
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : String(e)}; last answer: ${last}`);
  }
}

export interface AdminKey {
  readonly accountId: string;
  readonly keyId: string;
  readonly secret: string;
}

export interface CreatedKey {
  readonly id: string;
  readonly secret: string;
  readonly key: Record<string, unknown>;
}

/** The keys management API with one account's admin key. */
export class KeysApi {
  constructor(readonly url: string, readonly admin: AdminKey) {}

  call(method: string, path: string, body?: unknown, secret: string = this.admin.secret): Promise<Reply> {
    return call(this.url, method, path, { secret, ...(body !== undefined ? { body } : {}) });
  }

  /** POST /v1/keys; unless told otherwise a private key that passes every service's probe (PROBE_PERMISSIONS). */
  async create(body: Record<string, unknown> = {}): Promise<CreatedKey> {
    const reply = await this.call('POST', '/v1/keys', { kind: 'private', name: 'e2e key', permissions: PROBE_PERMISSIONS, ...body });
    const key = reply.body['key'];
    const secret = reply.body['secret'];
    if (reply.status !== 201 || typeof secret !== 'string' || typeof key !== 'object' || key === null) {
      throw new Error(`creating a key answered ${reply.status} ${JSON.stringify(reply.body)}`);
    }
    const record = key as Record<string, unknown>;
    return { id: String(record['id']), secret, key: record };
  }

  /** POST /v1/keys/:id/disable|enable|revoke, expecting 200. */
  async change(id: string, action: 'disable' | 'enable' | 'revoke', body: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const reply = await this.call('POST', `/v1/keys/${id}/${action}`, body);
    if (reply.status !== 200) throw new Error(`${action} ${id} answered ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body;
  }

  async rotate(id: string, gracePeriodSeconds: number): Promise<CreatedKey> {
    const reply = await this.call('POST', `/v1/keys/${id}/rotate`, { gracePeriodSeconds });
    const key = reply.body['key'];
    const secret = reply.body['secret'];
    if (reply.status !== 200 || typeof secret !== 'string' || typeof key !== 'object' || key === null) {
      throw new Error(`rotating ${id} answered ${reply.status} ${JSON.stringify(reply.body)}`);
    }
    return { id, secret, key: key as Record<string, unknown> };
  }
}

/**
 * One platform under test: a topic prefix of its own, a database per service, processes started
 * and stopped by name. `close()` stops every process and drops every database it made.
 */
export class Platform {
  readonly prefix = `${testName('platform')}.`;
  readonly databases = new Map<ServiceName, string>();
  private readonly running = new Map<ServiceName, ServiceProcess>();

  database(service: ServiceName): string {
    let name = this.databases.get(service);
    if (name === undefined) {
      name = testName(service);
      assertTestDatabase(name);
      this.databases.set(service, name);
    }
    return name;
  }

  /** The environment a process or the CLI of `service` needs on this platform. */
  env(service: ServiceName, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
    return {
      KAFKA_BROKERS: testInfra().kafkaBrokers.join(','),
      MONGODB_URI: testInfra().mongodbUri,
      MONGODB_DATABASE: this.database(service),
      KAFKA_TOPIC_PREFIX: this.prefix,
      EDGE_SIGNING_SECRET: TEST_EDGE_SIGNING_SECRET,
      AUTH_FAILURE_LIMIT: TEST_AUTH_FAILURE_LIMIT,
      ...extra,
    };
  }

  /** Creates an account's first admin key with the bootstrap CLI, as an operator would. */
  async bootstrapAdmin(accountId = 'acc_main'): Promise<AdminKey> {
    const result = await runTsScript('apps/keys/src/bootstrap/bootstrap.cli.ts', ['--account', accountId, '--json'], this.env('keys'));
    if (result.code !== 0) throw new Error(`bootstrap exited ${String(result.code)}:\n${result.stdout}\n${result.stderr}`);
    const parsed = JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as { created?: boolean; keyId?: string; secret?: string };
    if (parsed.created !== true || typeof parsed.secret !== 'string' || typeof parsed.keyId !== 'string') {
      throw new Error(`bootstrap did not create a key: ${result.stdout}`);
    }
    return { accountId, keyId: parsed.keyId, secret: parsed.secret };
  }

  async start(service: ServiceName, extraEnv: Readonly<Record<string, string>> = {}, readyTimeoutMs = 120_000): Promise<ServiceProcess> {
    if (this.running.has(service)) throw new Error(`${service} is already running`);
    // The edge forwards to the services of this platform already running (unless told otherwise).
    const upstreams = service === 'edge' ? Object.fromEntries([...this.running].map(([name, p]) => [`${name.toUpperCase()}_URL`, p.url])) : {};
    const proc = await startServiceProcess(service, { env: this.env(service, { ...upstreams, ...extraEnv }), database: this.database(service), readyTimeoutMs });
    this.running.set(service, proc);
    return proc;
  }

  process(service: ServiceName): ServiceProcess {
    const proc = this.running.get(service);
    if (!proc) throw new Error(`${service} is not running`);
    return proc;
  }

  async stop(service: ServiceName): Promise<number | null> {
    const proc = this.process(service);
    this.running.delete(service);
    return proc.stop();
  }

  async close(): Promise<void> {
    const procs = [...this.running.values()];
    this.running.clear();
    await Promise.all(procs.map((p) => p.stop()));
    await dropTestDatabases([...this.databases.values()]);
  }
}

/** Stops service processes and drops the test databases they used. */
export async function stopServiceProcesses(procs: readonly ServiceProcess[]): Promise<void> {
  await Promise.all(procs.map((p) => p.stop()));
  await dropTestDatabases(procs.map((p) => p.database));
}

/** Drops test databases (refusing any whose name does not mark it as a test one). */
export async function dropTestDatabases(names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  const connection = await mongoose.createConnection(testInfra().mongodbUri).asPromise();
  try {
    for (const name of names) {
      assertTestDatabase(name);
      await connection.useDb(name).dropDatabase().catch(() => undefined);
    }
  } finally {
    await connection.close();
  }
}
