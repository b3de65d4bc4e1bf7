import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import type { ServiceConfig } from '@keyward/config';
import type { EventEnvelope, KeyKind, ServiceName, TechnicianEventDataByType, TechnicianEventType } from '@keyward/contracts';
import { generateToken, SERVICES } from '@keyward/contracts';
import { createIdempotentProducer } from '@keyward/messaging';
import type { RootModule } from '@keyward/service-runtime';
import type { InProcessService } from './in-process-service';
import { startInProcess, testServiceConfig } from './in-process-service';
import { keyProbe } from './key-probe';
import type { ManualClock } from './manual-clock';
import { createEventTopics, projectionStatus, rebuildProjection } from './operator-admin';
import type { CallOptions, Reply } from './platform';
import { call } from './platform';
import type { TestKeySpec } from './service-test-app';
import type { TestKey } from './test-keys';
import { publishTestKey } from './test-keys';
import { testKafka } from './test-infra';
import { waitFor } from './wait-for';

/** Where a published event landed. */
export interface Published {
  readonly partition: number;
  readonly offset: bigint;
}

export interface MirroringTestAppOptions<K extends string> {
  readonly service: ServiceName;
  readonly module: (config: ServiceConfig, clock?: ManualClock) => RootModule;
  /** The keys the spec uses, published on `<prefix>keys.events` as the keys service would. */
  readonly keys: Readonly<Record<K, TestKeySpec>>;
  /** The key `call` uses when none is given. */
  readonly defaultKey: K;
  readonly clock?: ManualClock;
  readonly config?: ServiceConfig;
}

/** What a service's test app is made of; pass it to the MirroringTestApp constructor. */
export interface MirroringTestAppParts<K extends string> {
  readonly options: MirroringTestAppOptions<K>;
  readonly service: InProcessService;
  readonly config: ServiceConfig;
  readonly keys: Readonly<Record<K, TestKey>>;
  readonly producer: Producer;
}

/**
 * Starts a service that mirrors other services' entities in this test process, on the run's real
 * Kafka and FerretDB (its own database and topic prefix), every topic created first (its mirrors
 * read topics only other services write), its keys learned from `<prefix>keys.events`.
 */
export async function startMirroringTestApp<K extends string>(options: MirroringTestAppOptions<K>): Promise<MirroringTestAppParts<K>> {
  const config = options.config ?? testServiceConfig(options.service);
  await createEventTopics(config.topicPrefix);
  const service = await startInProcess(options.module(config, options.clock));
  const producer = createIdempotentProducer(testKafka());
  await producer.connect();
  const keys = {} as Record<K, TestKey>;
  for (const name of Object.keys(options.keys) as K[]) keys[name] = await publishTestKey(testKafka(), config.topicPrefix, options.keys[name]);
  for (const key of Object.values<TestKey>(keys)) {
    await waitFor(`key ${key.keyId} to reach the ${options.service} key projection`, async () =>
      (await call(service.url, 'GET', keyProbe(options.service).path, { secret: key.secret })).code !== 'unknown_key');
  }
  return { options, service, config, keys, producer };
}

/**
 * A service under test with a producer that puts other services' contract events on their
 * topics, as those services' relays would, and waits for its mirrors to read them. A service's
 * spec helper extends it with its own domain's shortcuts.
 */
export class MirroringTestApp<K extends string> {
  readonly config: ServiceConfig;
  readonly keys: Readonly<Record<K, TestKey>>;
  private current: InProcessService;
  private readonly producer: Producer;
  private readonly options: MirroringTestAppOptions<K>;

  protected constructor(parts: MirroringTestAppParts<K>) {
    this.current = parts.service;
    this.config = parts.config;
    this.keys = parts.keys;
    this.producer = parts.producer;
    this.options = parts.options;
  }

  get service(): InProcessService {
    return this.current;
  }

  get url(): string {
    return this.current.url;
  }

  async close(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
    await this.current.close();
  }

  /**
   * Stops the service, runs `whileDown` (the producer stays up), and starts it again on the same
   * database and topics, as a restarted process would.
   */
  async restart(whileDown: () => Promise<void> = async () => undefined, clock?: ManualClock): Promise<void> {
    await this.current.close();
    await whileDown();
    this.current = await startInProcess(this.options.module(this.config, clock));
    await waitFor('the restarted service to know its default key', async () => (await this.call('GET', keyProbe(this.options.service).path)).status === 200);
  }

  /** One call with the default key unless another (or null: none) is given. */
  call(method: string, path: string, { secret = this.keys[this.options.defaultKey].secret, ...rest }: CallOptions = {}): Promise<Reply> {
    return call(this.url, method, path, { secret, ...rest });
  }

  /** Puts one contract event on `<prefix><topic>`, keyed by aggregate, as its owning service's relay would. */
  async publish(topic: string, event: EventEnvelope): Promise<Published> {
    const [meta] = await this.producer.send({
      topic: `${this.config.topicPrefix}${topic}`, acks: -1, messages: [{ key: event.aggregateId, value: JSON.stringify(event) }],
    });
    if (!meta) throw new Error('the broker did not acknowledge the event');
    return { partition: meta.partition, offset: BigInt(meta.baseOffset ?? '0') };
  }

  /** The default key's account: where the spec's entities live unless it says otherwise. */
  get account(): string {
    return this.keys[this.options.defaultKey].accountId;
  }

  /** A technicians.events contract event (every mirroring service mirrors technicians). */
  publishTechnician<T extends TechnicianEventType>(type: T, id: string, version: number, data: TechnicianEventDataByType[T], accountId = this.account): Promise<Published> {
    return this.publish(SERVICES.technicians.topic, envelope(type, id, accountId, version, data));
  }

  /** Waits until a mirror has read past a published event (its position as GET /admin/projections shows it). */
  async mirrored(name: string, published: Published): Promise<void> {
    await waitFor(`the ${name} mirror to read past ${published.partition}@${published.offset}`, async () => {
      const positions = (await this.projection(name))['positions'] as Record<string, string> | undefined;
      const next = positions?.[String(published.partition)];
      return next !== undefined && BigInt(next) > published.offset;
    });
  }

  /** POST /admin/projections/<name>/rebuild, then polls until the job ends; returns the job. */
  rebuild(name: string): Promise<Record<string, unknown>> {
    return rebuildProjection(this.url, name);
  }

  /** A projection's counters as GET /admin/projections shows them. */
  projection(name: string): Promise<Record<string, unknown>> {
    return projectionStatus(this.url, name);
  }
}

/** A contract event as its owning service would publish it. */
export function envelope(type: string, aggregateId: string, accountId: string, version: number, data: unknown, occurredAt = new Date().toISOString()): EventEnvelope {
  return { id: randomUUID(), type, schemaVersion: 1, aggregateId, accountId, version, occurredAt, data };
}

/** A well-formed key no service knows. */
export function unknownKey(kind: KeyKind = 'private'): string {
  return generateToken(kind);
}

let counter = 0;
/** A fresh id of a kind, unique in the run: `tech_t3a9…`. */
export function freshId(prefix: string): string {
  counter++;
  return `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 16)}${counter}`;
}
