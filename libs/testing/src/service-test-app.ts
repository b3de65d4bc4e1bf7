import type { Consumer } from 'kafkajs';
import mongoose from 'mongoose';
import type { ServiceConfig } from '@keyward/config';
import type { EventEnvelope, KeyKind, Permission, ServiceName } from '@keyward/contracts';
import { SERVICES } from '@keyward/contracts';
import type { RootModule } from '@keyward/service-runtime';
import type { InProcessService } from './in-process-service';
import { startInProcess, testServiceConfig } from './in-process-service';
import type { ManualClock } from './manual-clock';
import type { CallOptions, Reply } from './platform';
import { call } from './platform';
import { publishTestKey } from './test-keys';
import { testInfra, testKafka, testName } from './test-infra';
import { waitFor } from './wait-for';

export interface TestKeySpec {
  readonly accountId: string;
  readonly kind?: KeyKind;
  readonly permissions: readonly Permission[];
}

export interface ServiceTestApp<K extends string> extends InProcessService {
  readonly config: ServiceConfig;
  readonly keys: Readonly<Record<K, string>>;
  call(method: string, path: string, options?: CallOptions): Promise<Reply>;
  /** Stops the app and drops its database. */
  dispose(): Promise<void>;
}

/**
 * A service in this test process on the run's real Kafka and FerretDB, with its own database
 * and topics, and the given keys already known to its key projection (published on
 * `<prefix>keys.events`, learned as in production). `probe` is a guarded GET path used to wait.
 */
export async function startServiceTestApp<K extends string>(options: {
  readonly service: ServiceName;
  readonly module: (config: ServiceConfig, clock?: ManualClock) => RootModule;
  readonly keys: Readonly<Record<K, TestKeySpec>>;
  readonly defaultKey: K;
  readonly probe: string;
  readonly clock?: ManualClock;
  readonly config?: ServiceConfig;
}): Promise<ServiceTestApp<K>> {
  const config = options.config ?? testServiceConfig(options.service);
  const service = await startInProcess(options.module(config, options.clock));
  const kafka = testKafka();
  const entries = await Promise.all((Object.entries(options.keys) as [K, TestKeySpec][]).map(async ([name, spec]) =>
    [name, (await publishTestKey(kafka, config.topicPrefix, spec)).secret] as const));
  const keys = Object.fromEntries(entries) as Record<K, string>;
  for (const [name, secret] of entries) {
    await waitFor(`the ${name} key to reach the key projection`, async () => {
      const reply = await call(service.url, 'GET', options.probe, { secret });
      return reply.status !== 401 && reply.status !== 503;
    }, { timeoutMs: 30_000 });
  }
  return {
    ...service,
    config,
    keys,
    call: (method, path, callOptions = {}) => call(service.url, method, path, { ...callOptions, secret: callOptions.secret === undefined ? keys[options.defaultKey] : callOptions.secret }),
    async dispose() {
      await service.close();
      const connection = await mongoose.createConnection(testInfra().mongodbUri, { dbName: config.mongodbDatabase }).asPromise();
      await connection.dropDatabase().catch(() => undefined);
      await connection.close();
    },
  };
}

/** Reads the service's own topic from the start, from a consumer group of its own, until `until` holds. */
export async function readOwnTopic(
  config: ServiceConfig,
  until: (events: readonly { key: string | null; event: EventEnvelope }[]) => boolean,
): Promise<{ key: string | null; event: EventEnvelope }[]> {
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
