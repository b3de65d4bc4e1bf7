import type { Consumer } from 'kafkajs';
import mongoose from 'mongoose';
import type { ServiceConfig } from '@keyward/config';
import type { EventEnvelope, KeyKind, Permission } from '@keyward/contracts';
import { SERVICES } from '@keyward/contracts';
import type { InProcessService, ManualClock } from '@keyward/testing';
import { publishTestKey, startInProcess, testInfra, testKafka, testName, testServiceConfig, waitFor } from '@keyward/testing';
import { TechniciansModule } from '../technicians.module';

export const ACCOUNT = 'acc_main';
export const OTHER_ACCOUNT = 'acc_other';

/** The keys a test uses, each learned by the app from `<prefix>keys.events` as in production. */
export interface TestKeys {
  /** technicians:read and technicians:write, in ACCOUNT. */
  readonly admin: string;
  /** technicians:read only. */
  readonly reader: string;
  /** technicians:write only. */
  readonly writer: string;
  /** A public key (sessions:create, tickets:create): refused on every private route. */
  readonly publicKey: string;
  /** technicians:read and technicians:write, in OTHER_ACCOUNT. */
  readonly other: string;
  /** projections:operate only. */
  readonly operator: string;
}

export interface Reply {
  readonly status: number;
  readonly contentType: string | null;
  readonly body: Record<string, unknown>;
  readonly text: string;
}

export interface CallOptions {
  /** The key sent as a Bearer token; default the admin key, null for none. */
  readonly secret?: string | null;
  /** An object is sent as JSON, a string as is. */
  readonly body?: unknown;
  /** Content-Type; default application/json when there is a body. */
  readonly contentType?: string;
}

export interface TechniciansTestApp extends InProcessService {
  readonly config: ServiceConfig;
  readonly keys: TestKeys;
  call(method: string, path: string, options?: CallOptions): Promise<Reply>;
  /** Stops the app and drops its database. */
  dispose(): Promise<void>;
}

const KEY_SPECS: Record<keyof TestKeys, { accountId: string; kind?: KeyKind; permissions: Permission[] }> = {
  admin: { accountId: ACCOUNT, permissions: ['technicians:read', 'technicians:write'] },
  reader: { accountId: ACCOUNT, permissions: ['technicians:read'] },
  writer: { accountId: ACCOUNT, permissions: ['technicians:write'] },
  publicKey: { accountId: ACCOUNT, kind: 'public', permissions: ['sessions:create', 'tickets:create'] },
  other: { accountId: OTHER_ACCOUNT, permissions: ['technicians:read', 'technicians:write'] },
  operator: { accountId: ACCOUNT, permissions: ['projections:operate'] },
};

async function send(url: string, method: string, path: string, options: CallOptions, fallbackSecret: string): Promise<Reply> {
  const headers: Record<string, string> = {};
  const secret = options.secret === undefined ? fallbackSecret : options.secret;
  if (secret !== null) headers['authorization'] = `Bearer ${secret}`;
  const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  if (body !== undefined || options.contentType !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  const res = await fetch(`${url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = {};
  }
  const isObject = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  return { status: res.status, contentType: res.headers.get('content-type'), body: isObject ? (parsed as Record<string, unknown>) : {}, text };
}

/**
 * The technicians service in this test process on the run's real Kafka and FerretDB, with its
 * own database and topics, and the keys of TestKeys already known to its key projection.
 */
export async function startTechniciansTestApp(options: { clock?: ManualClock } = {}): Promise<TechniciansTestApp> {
  const config = testServiceConfig('technicians');
  const service = await startInProcess(TechniciansModule.forRoot({ config, ...(options.clock ? { clock: options.clock } : {}) }));
  const kafka = testKafka();
  const entries = await Promise.all(Object.entries(KEY_SPECS).map(async ([name, spec]) =>
    [name, (await publishTestKey(kafka, config.topicPrefix, spec)).secret] as const));
  const keys = Object.fromEntries(entries) as unknown as TestKeys;
  for (const [name, secret] of entries) {
    await waitFor(`the ${name} key to reach the key projection`, async () => {
      const reply = await send(service.url, 'GET', '/v1/technicians', { secret }, secret);
      return reply.status !== 401 && reply.status !== 503;
    }, { timeoutMs: 30_000 });
  }
  return {
    ...service,
    config,
    keys,
    call: (method, path, callOptions = {}) => send(service.url, method, path, callOptions, keys.admin),
    async dispose() {
      await service.close();
      const connection = await mongoose.createConnection(testInfra().mongodbUri, { dbName: config.mongodbDatabase }).asPromise();
      await connection.dropDatabase().catch(() => undefined);
      await connection.close();
    },
  };
}

/** Reads the service's own topic from the start, from a consumer group of its own, until `until` holds. */
export async function readOwnTopic(config: ServiceConfig, until: (events: readonly { key: string | null; event: EventEnvelope }[]) => boolean): Promise<{ key: string | null; event: EventEnvelope }[]> {
  const topic = `${config.topicPrefix}${SERVICES[config.service].topic ?? ''}`;
  const seen: { key: string | null; event: EventEnvelope }[] = [];
  const consumer: Consumer = testKafka().consumer({ groupId: testName('reader') });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.value) seen.push({ key: message.key?.toString() ?? null, event: JSON.parse(message.value.toString()) as EventEnvelope });
      },
    });
    await waitFor(`the expected events on ${topic}`, () => until(seen), { timeoutMs: 30_000 });
    return seen;
  } finally {
    await consumer.disconnect();
  }
}
