import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { ServiceName } from '@keyward/contracts';
import { SERVICE_NAMES, SERVICES } from '@keyward/contracts';
import type { AdminKey, CreatedKey, LoadResult, Reply } from '@keyward/testing';
import { FaultInfra, FaultPlatform, guarded, KeysApi, operatorCall, outcome, waitFor } from '@keyward/testing';

/**
 * What the fault specs share: a platform of six processes on the spec's own infrastructure, the
 * checks every scenario makes (a key's answer on every service, every consumer running, every
 * acknowledged write in its owner's store and on its topic), and the requests of the loads.
 */

export const SERVICES_BUT_EDGE = SERVICE_NAMES.filter((s): s is Exclude<ServiceName, 'edge'> => s !== 'edge');

export interface FaultSetup {
  readonly infra: FaultInfra;
  readonly platform: FaultPlatform;
  readonly admin: AdminKey;
  /** The keys API at the keys service. */
  readonly api: KeysApi;
  /** A private key that can write and read technicians, tickets, devices and keys. */
  readonly worker: CreatedKey;
  /** The services running (all six unless a spec needs fewer). */
  readonly services: readonly ServiceName[];
  url(service: ServiceName): string;
  close(): Promise<void>;
}

/** Permissions of the worker key the loads use. */
export const WORKER_PERMISSIONS = [
  'technicians:read', 'technicians:write', 'tickets:create', 'tickets:read', 'devices:read', 'devices:write', 'keys:read', 'keys:manage', 'sessions:read',
];

/** Bounds of a fault spec's set-up and clean-up hooks: six services start slowly on a busy machine. */
export const SETUP_TIMEOUT_MS = 900_000;
/** Bound for one service to report ready (a busy two-core machine has taken over 100 s). */
const SERVICE_READY_MS = 300_000;
export const CLOSE_TIMEOUT_MS = 120_000;

export interface FaultRun {
  start(): Promise<FaultSetup>;
  /** Stops whatever exists so far, even while start() is still under way (a timed-out hook). */
  close(): Promise<void>;
}

/**
 * A spec's platform on its own Kafka and FerretDB: keys, then the four domain services two at a
 * time, then the edge in front of them (or only the services named in `only`); every process gets
 * `env` (and `perService[s]`). Create it at the top of a describe; start() in beforeAll, close()
 * in afterAll.
 */
export function faultRun(
  account: string,
  env: Readonly<Record<string, string>> = {},
  perService: Partial<Record<ServiceName, Readonly<Record<string, string>>>> = {},
  only: readonly ServiceName[] = SERVICE_NAMES,
): FaultRun {
  let closing = false;
  let starting: Promise<FaultSetup> | undefined;
  let infra: FaultInfra | undefined;
  let platform: FaultPlatform | undefined;
  const teardown = async (): Promise<void> => {
    await platform?.close().catch(() => undefined);
    await infra?.close();
  };
  /** Between steps: a start that outlived its hook stops here instead of starting more. */
  const step = <T>(value: T): T => {
    if (closing) throw new Error('the fault platform was closed while it was starting');
    return value;
  };
  async function start(): Promise<FaultSetup> {
    const started = Date.now();
    infra = await FaultInfra.start();
    step(infra);
    const infraMs = Date.now() - started;
    const p = new FaultPlatform(infra);
    platform = p;
    const admin = step(await p.bootstrapAdmin(account));
    const keys = step(await p.start('keys', { ...env, ...perService.keys }, SERVICE_READY_MS));
    const domain = (['technicians', 'tickets', 'devices', 'sessions'] as const).filter((s) => only.includes(s));
    for (let i = 0; i < domain.length; i += 2) {
      step(await Promise.all(domain.slice(i, i + 2).map((s) => p.start(s, { ...env, ...perService[s] }, SERVICE_READY_MS))));
    }
    if (only.includes('edge')) {
      step(await p.start('edge', {
        ...env, ...perService.edge,
        KEYS_URL: keys.url,
        ...Object.fromEntries(domain.map((s) => [`${s.toUpperCase()}_URL`, p.process(s).url])),
      }, SERVICE_READY_MS));
    }
    const api = new KeysApi(keys.url, admin);
    const worker = step(await api.create({ name: 'fault load worker', permissions: WORKER_PERMISSIONS }));
    const setup: FaultSetup = { infra, platform: p, admin, api, worker, services: only, url: (s) => p.process(s).url, close: teardown };
    await knownEverywhere(setup, worker, 30_000);
    console.log(`fault platform ${p.prefix}: own Kafka and FerretDB in ${infraMs} ms, ${only.length} services ready ${Date.now() - started} ms after the start`);
    return setup;
  }
  return {
    start() {
      starting = start().catch(async (e: unknown) => {
        await teardown();
        throw e;
      });
      return starting;
    },
    async close() {
      closing = true;
      await starting?.catch(() => undefined);
      await teardown();
    },
  };
}

/** What a service answers to a key on a route its key guard protects (`200`, `401 key_revoked`, ...). */
export async function keyAnswer(service: ServiceName, url: string, secret: string): Promise<string> {
  return outcome(await guarded({ service, url }, secret));
}

/** Waits until every service knows a key: no longer 401 unknown_key, nor 503 while catching up. */
export async function knownEverywhere(setup: FaultSetup, key: CreatedKey, timeoutMs = 10_000): Promise<Record<ServiceName, number>> {
  return answeredEverywhere(setup, key.secret, (a) => a !== '401 unknown_key' && !a.startsWith('503'), 'know the key', timeoutMs);
}

/**
 * Polls all six services at once until each gives an answer `ok` accepts; resolves with how long
 * each took, or fails naming every service that did not, with its last answer.
 */
export async function answeredEverywhere(
  setup: FaultSetup, secret: string, ok: (answer: string) => boolean, what: string, timeoutMs: number, since = Date.now(),
): Promise<Record<ServiceName, number>> {
  const last = new Map<ServiceName, string>();
  const results = await Promise.allSettled(setup.services.map(async (service) => {
    const ms = await waitFor(`${service} to ${what}`, async () => {
      const answer = await keyAnswer(service, setup.url(service), secret);
      last.set(service, answer);
      return ok(answer) ? Date.now() - since : false;
    }, { timeoutMs, intervalMs: 50 });
    return [service, ms] as const;
  }));
  const failed = setup.services.filter((_s, i) => results[i]?.status === 'rejected');
  if (failed.length > 0) {
    throw new Error(`within ${timeoutMs} ms, these services did not ${what}: ${failed.map((s) => `${s} (last answer ${last.get(s) ?? 'none'})`).join(', ')}`);
  }
  return Object.fromEntries(results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))) as Record<ServiceName, number>;
}

/** GET /admin/projections of a service, by the platform operator. */
export async function projections(setup: FaultSetup, service: ServiceName): Promise<Reply> {
  return operatorCall(setup.url(service), 'GET', '/admin/projections');
}

/** One answer of a service's /ready and how long it took. */
export interface ReadyAnswer {
  readonly service: ServiceName;
  readonly status: number;
  readonly ms: number;
  readonly body: string;
}

/** GET /ready of every service: status and how long each took to answer. */
export async function readiness(setup: FaultSetup, timeoutMs = 5_000): Promise<ReadyAnswer[]> {
  return Promise.all(setup.services.map(async (service) => {
    const started = Date.now();
    try {
      const res = await fetch(`${setup.url(service)}/ready`, { signal: AbortSignal.timeout(timeoutMs) });
      return { service, status: res.status, ms: Date.now() - started, body: (await res.text()).slice(0, 300) };
    } catch (e) {
      return { service, status: 0, ms: Date.now() - started, body: e instanceof Error ? e.message : String(e) };
    }
  }));
}

/**
 * Every projection of every service has a running consumer and /ready answers 200. A
 * projection's consumer is running when /admin/projections says so (`consumer: 'running'`, the
 * supervision's field) and it is caught up.
 */
export async function allConsumersRunning(setup: FaultSetup): Promise<Record<ServiceName, string>> {
  const states = await Promise.all(setup.services.map(async (service) => {
    const [reply, ready] = await Promise.all([projections(setup, service), fetch(`${setup.url(service)}/ready`, { signal: AbortSignal.timeout(5_000) }).then((r) => r.status, () => 0)]);
    const list = reply.body['projections'];
    if (reply.status !== 200 || !Array.isArray(list)) return [service, `GET /admin/projections ${outcome(reply)}`] as const;
    const notRunning = list.flatMap((p: unknown) => {
      const record = typeof p === 'object' && p !== null ? (p as Record<string, unknown>) : {};
      return consumerRunning(record) ? [] : [`${String(record['name'])}: ${JSON.stringify(record['consumer'] ?? null)} caughtUp=${String(record['caughtUp'])}`];
    });
    return [service, notRunning.length === 0 && ready === 200 ? 'running' : `ready ${ready}; ${notRunning.join('; ')}`] as const;
  }));
  return Object.fromEntries(states) as Record<ServiceName, string>;
}

function consumerRunning(p: Record<string, unknown>): boolean {
  // A read model of the service's own aggregates follows its event store, not Kafka: it has no consumer.
  if (p['consumer'] === undefined) return p['caughtUp'] === true;
  return p['consumer'] === 'running' && p['caughtUp'] === true;
}

/** Waits until every consumer of every service runs and every /ready is 200. */
export async function waitForAllConsumersRunning(setup: FaultSetup, timeoutMs: number): Promise<void> {
  let last: Record<string, string> = {};
  await waitFor('every consumer of every service to run', async () => {
    last = await allConsumersRunning(setup);
    return Object.values(last).every((s) => s === 'running');
  }, { timeoutMs, intervalMs: 500 }).catch((e: unknown) => {
    throw new Error(`${e instanceof Error ? e.message : String(e)}: ${JSON.stringify(last, null, 1)}`);
  });
}

/** The state of every consumer group of this platform (`Stable` with members, or what it is). */
export async function consumerGroups(setup: FaultSetup): Promise<Record<string, string>> {
  const admin = setup.infra.kafkaClient('fault-groups-admin').admin();
  await admin.connect();
  try {
    const ids = (await admin.listGroups()).groups.map((g) => g.groupId).filter((id) => id.startsWith(setup.platform.prefix));
    const described = await admin.describeGroups(ids);
    return Object.fromEntries(described.groups.map((g) => [g.groupId, g.state === 'Stable' && g.members.length > 0 ? 'Stable' : `${g.state} with ${g.members.length} members`]));
  } finally {
    await admin.disconnect();
  }
}

/** An event as read back from a topic or a store: what the checks compare. */
export interface SeenEvent {
  readonly id: string;
  readonly aggregateId: string;
  readonly version: number;
  readonly type: string;
}

/** Every message on a topic up to its end as of now, parsed as envelopes (others are skipped). */
export async function readTopic(kafka: Kafka, topic: string, timeoutMs = 60_000): Promise<SeenEvent[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await waitFor(`the offsets of ${topic}`, () => admin.fetchTopicOffsets(topic), { timeoutMs: 30_000, intervalMs: 500 }).finally(() => admin.disconnect());
  const want = new Map(ends.map((e) => [e.partition, Number(e.high)]));
  const reached = new Map<number, number>();
  const seen: SeenEvent[] = [];
  const done = (): boolean => [...want].every(([p, high]) => high === 0 || (reached.get(p) ?? 0) >= high);
  if (done()) return seen;
  const consumer = kafka.consumer({ groupId: `test-read-${randomUUID()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        reached.set(partition, Number(message.offset) + 1);
        const e = parseEnvelope(message.value);
        if (e) seen.push(e);
      },
    });
    await waitFor(`the whole of ${topic}`, done, { timeoutMs, intervalMs: 100 });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

function parseEnvelope(value: Buffer | null): SeenEvent | undefined {
  try {
    const v: unknown = JSON.parse(String(value));
    if (typeof v !== 'object' || v === null) return undefined;
    const r = v as Record<string, unknown>;
    return typeof r['id'] === 'string' && typeof r['aggregateId'] === 'string' && typeof r['version'] === 'number' && typeof r['type'] === 'string'
      ? { id: r['id'], aggregateId: r['aggregateId'], version: r['version'], type: r['type'] }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every event in a service's event store (collection `events` of its database; `_id` is stream +
 * version, `eventId` the envelope id); published = its outbox marker (`events_outbox`, same `_id`) is gone.
 * A marker whose event is not in `events` (its appender died between its two inserts; the relay
 * completes it after a while, then publishes it) counts as an unpublished event, so "everything
 * published" also waits for those.
 */
export async function readStore(setup: FaultSetup, service: Exclude<ServiceName, 'edge'>): Promise<(SeenEvent & { published: boolean })[]> {
  const db = await setup.infra.connect(setup.platform.database(service));
  try {
    const docs = await db.collection('events').find({}).toArray();
    const markers = await db.collection('events_outbox').find({}).toArray();
    const pending = new Set(markers.map((m) => String(m['_id'])));
    const stored = new Set(docs.map((d) => String(d['_id'])));
    const orphans = markers.filter((m) => !stored.has(String(m['_id']))).map((m) => m['event'] as Record<string, unknown>);
    return [
      ...docs.map((d) => ({ id: String(d['eventId']), aggregateId: String(d['aggregateId']), version: Number(d['version']), type: String(d['type']), published: !pending.has(String(d['_id'])) })),
      ...orphans.map((e) => ({ id: String(e['eventId']), aggregateId: String(e['aggregateId']), version: Number(e['version']), type: String(e['type']), published: false })),
    ];
  } finally {
    await db.close();
  }
}

/** The topic a service publishes, on this platform. */
export function topicOf(setup: FaultSetup, service: Exclude<ServiceName, 'edge'>): string {
  return `${setup.platform.prefix}${SERVICES[service].topic}`;
}

/** Which write labels belong to which service's store. */
export type WriteOwners = Readonly<Record<string, Exclude<ServiceName, 'edge'>>>;

/**
 * For every acknowledged (2xx) write of a load, checks that what it created is in its owner's
 * event store and on its topic. Waits (bounded) for the relays to publish. Returns the counts.
 */
export async function acknowledgedWritesKept(setup: FaultSetup, results: readonly LoadResult[], owners: WriteOwners, timeoutMs = 60_000): Promise<Record<string, { acknowledged: number; stored: number; published: number }>> {
  const kafka = setup.infra.kafkaClient('fault-test-reader');
  const counts: Record<string, { acknowledged: number; stored: number; published: number }> = {};
  for (const [label, service] of Object.entries(owners)) {
    const acked = results.filter((r) => r.label === label && r.status >= 200 && r.status < 300);
    const ids = acked.map((r) => r.id);
    if (ids.some((id) => id === undefined)) throw new Error(`an acknowledged ${label} named no id`);
    const wanted = new Set(ids);
    let stored = 0;
    let published = 0;
    await waitFor(`every acknowledged ${label} in ${service}'s store and on its topic`, async () => {
      const inStore = new Set((await readStore(setup, service)).map((e) => e.aggregateId));
      const onTopic = new Set((await readTopic(kafka, topicOf(setup, service))).map((e) => e.aggregateId));
      stored = [...wanted].filter((id) => id !== undefined && inStore.has(id)).length;
      published = [...wanted].filter((id) => id !== undefined && onTopic.has(id)).length;
      return stored === wanted.size && published === wanted.size;
    }, { timeoutMs, intervalMs: 1_000 }).catch(() => undefined);
    counts[label] = { acknowledged: wanted.size, stored, published };
    if (published < wanted.size) {
      // For the failure's reader: what the owner's relay said (its retries, renewals, lease).
      const said = setup.platform.process(service).output().split('\n').filter((l) => /OutboxRelay|outbox relay|RelayLease/.test(l)).slice(-15);
      console.log(`${service}: ${wanted.size - published} acknowledged ${label} not on its topic after ${timeoutMs} ms; its relay said:\n${said.join('\n')}`);
    }
  }
  return counts;
}

/** Request bodies of the loads; every one unique so none is refused as a duplicate. */
export const requests = {
  createKey: (setup: FaultSetup, i: number) => ({
    label: 'create key', baseUrl: setup.url('keys'), method: 'POST', path: '/v1/keys', secret: setup.admin.secret,
    body: { kind: 'private', name: `load key ${i}`, permissions: ['devices:read'] },
  }),
  registerTechnician: (setup: FaultSetup, i: number) => ({
    label: 'register technician', baseUrl: setup.url('technicians'), method: 'POST', path: '/v1/technicians', secret: setup.worker.secret,
    body: { name: `Tech ${i}`, email: `tech-${i}-${randomUUID().slice(0, 8)}@example.com` },
  }),
  createTicket: (setup: FaultSetup, i: number, baseUrl = setup.url('tickets'), secret = setup.worker.secret) => ({
    label: 'create ticket', baseUrl, method: 'POST', path: '/v1/tickets', secret,
    body: { requesterName: `Requester ${i}`, requesterEmail: `req-${i}@example.com`, problemDescription: `fault load ${i}` },
  }),
  read: (setup: FaultSetup, service: 'technicians' | 'tickets' | 'devices' | 'keys', baseUrl = setup.url(service)) => ({
    label: `read ${service}`, baseUrl, method: 'GET', path: `/v1/${service}?limit=5`, secret: setup.worker.secret,
  }),
};

/** The write labels of `requests` and the service whose store each lands in. */
export const WRITE_OWNERS: WriteOwners = { 'create key': 'keys', 'register technician': 'technicians', 'create ticket': 'tickets' };

/** One answer of a service to a key, at a time. */
export interface KeyObservation {
  readonly service: ServiceName;
  readonly at: number;
  readonly answer: string;
}

/**
 * Asks every service about a key every `intervalMs` until stop() is called, recording each answer
 * with its time: how a spec proves what a key got, service by service, through a whole fault.
 */
export function watchKey(setup: FaultSetup, secret: string, intervalMs = 250): { stop(): Promise<KeyObservation[]> } {
  const seen: KeyObservation[] = [];
  let stopped = false;
  const loops = setup.services.map(async (service) => {
    while (!stopped) {
      const started = Date.now();
      const answer = await Promise.resolve().then(() => keyAnswer(service, setup.url(service), secret)).catch((e: unknown) => `no answer (${e instanceof Error ? e.message : String(e)})`);
      seen.push({ service, at: started, answer });
      const wait = intervalMs - (Date.now() - started);
      if (wait > 0 && !stopped) await new Promise((r) => setTimeout(r, wait));
    }
  });
  return {
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return seen;
    },
  };
}

/**
 * Keeps a fault in place for a while: the duration of an outage is what the scenario is about,
 * so this is the one deliberate wait of the suite (never used to wait for a condition).
 */
export async function holdFault(sinceMs: number, durationMs: number): Promise<void> {
  const left = sinceMs + durationMs - Date.now();
  if (left > 0) await new Promise((r) => setTimeout(r, left));
}
