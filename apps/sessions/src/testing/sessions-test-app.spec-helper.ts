import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import type { ServiceConfig } from '@keyward/config';
import type {
  DeviceEventDataByType,
  DeviceEventType,
  EventEnvelope,
  KeyKind,
  Permission,
  TechnicianEventDataByType,
  TechnicianEventType,
  TicketEventDataByType,
  TicketEventType,
} from '@keyward/contracts';
import { generateToken, SERVICES } from '@keyward/contracts';
import { MongoEventStore } from '@keyward/event-store';
import { createIdempotentProducer } from '@keyward/messaging';
import type { CallOptions, InProcessService, ManualClock, Reply, TestKey } from '@keyward/testing';
import { call, createEventTopics, keyProbe, projectionStatus, publishTestKey, rebuildProjection, startInProcess, testKafka, testServiceConfig, waitFor } from '@keyward/testing';
import { SessionsModule } from '../sessions.module';

export type { CallOptions, Reply } from '@keyward/testing';

export const ACCOUNT = 'acc_sessions_a';
export const OTHER_ACCOUNT = 'acc_sessions_b';

/** Where a published event landed. */
export interface Published {
  readonly partition: number;
  readonly offset: bigint;
}

/** The keys every sessions spec uses, published onto `<prefix>keys.events` as the keys service would. */
export interface SessionsTestKeys {
  /** Private, account A: every sessions permission. */
  readonly admin: TestKey;
  /** Private, account A: sessions:read only. */
  readonly reader: TestKey;
  /** Private, account A: sessions:create, sessions:read, sessions:write, not the history. */
  readonly operator: TestKey;
  /** Private, account A: sessions:create only. */
  readonly creator: TestKey;
  /** Public, account A: sessions:create (the seed's public route). */
  readonly public: TestKey;
  /** Private, account B: every sessions permission. */
  readonly other: TestKey;
}

const ALL_SESSIONS: readonly Permission[] = ['sessions:create', 'sessions:read', 'sessions:write', 'sessions:history:read'];

/**
 * The sessions service in this test process (a clock the spec moves) on the run's real Kafka and
 * FerretDB (its own database and topic prefix), its keys learned from `<prefix>keys.events`, and
 * a producer to put technicians', devices' and tickets' contract events on their topics.
 */
export class SessionsTestApp {
  private constructor(
    private current: InProcessService,
    readonly config: ServiceConfig,
    readonly keys: SessionsTestKeys,
    private readonly producer: Producer,
  ) {}

  static async start(options: { clock?: ManualClock; config?: ServiceConfig } = {}): Promise<SessionsTestApp> {
    const config = options.config ?? testServiceConfig('sessions');
    await createEventTopics(config.topicPrefix);
    const service = await startInProcess(SessionsModule.forRoot({ config, ...(options.clock ? { clock: options.clock } : {}) }));
    const producer = createIdempotentProducer(testKafka());
    await producer.connect();
    const publish = (accountId: string, kind: KeyKind, permissions: readonly Permission[]): Promise<TestKey> =>
      publishTestKey(testKafka(), config.topicPrefix, { accountId, kind, permissions });
    const keys: SessionsTestKeys = {
      admin: await publish(ACCOUNT, 'private', ALL_SESSIONS),
      reader: await publish(ACCOUNT, 'private', ['sessions:read']),
      operator: await publish(ACCOUNT, 'private', ['sessions:create', 'sessions:read', 'sessions:write']),
      creator: await publish(ACCOUNT, 'private', ['sessions:create']),
      public: await publish(ACCOUNT, 'public', ['sessions:create']),
      other: await publish(OTHER_ACCOUNT, 'private', ALL_SESSIONS),
    };
    const app = new SessionsTestApp(service, config, keys, producer);
    for (const key of Object.values(keys)) {
      await waitFor(`key ${key.keyId} to reach the sessions key projection`, async () =>
        (await app.call('GET', keyProbe('sessions').path, { secret: key.secret })).code !== 'unknown_key');
    }
    return app;
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

  /** One call with the admin key unless another (or null: none) is given. */
  call(method: string, path: string, { secret = this.keys.admin.secret, ...rest }: CallOptions = {}): Promise<Reply> {
    return call(this.url, method, path, { secret, ...rest });
  }

  /** Opens a session with the admin key (or another) and returns the answer's body. */
  async createSession(body: Record<string, unknown> = {}, secret = this.keys.admin.secret): Promise<Record<string, unknown> & { id: string }> {
    const reply = await this.call('POST', '/v1/sessions', { secret, body });
    if (reply.status !== 201) throw new Error(`could not create a session: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body as Record<string, unknown> & { id: string };
  }

  /** Events in the sessions event store (to prove a refused command wrote nothing). */
  eventCount(): Promise<number> {
    return this.current.app.get(MongoEventStore).events.countDocuments();
  }

  /** Puts one contract event on `<prefix><topic>`, keyed by aggregate, as its owning service's relay would. */
  async publish(topic: string, event: EventEnvelope): Promise<Published> {
    const [meta] = await this.producer.send({
      topic: `${this.config.topicPrefix}${topic}`, acks: -1, messages: [{ key: event.aggregateId, value: JSON.stringify(event) }],
    });
    if (!meta) throw new Error('the broker did not acknowledge the event');
    return { partition: meta.partition, offset: BigInt(meta.baseOffset ?? '0') };
  }

  publishTechnician<T extends TechnicianEventType>(type: T, id: string, version: number, data: TechnicianEventDataByType[T], accountId = ACCOUNT): Promise<Published> {
    return this.publish(SERVICES.technicians.topic, envelope(type, id, accountId, version, data));
  }

  publishDevice<T extends DeviceEventType>(type: T, id: string, version: number, data: DeviceEventDataByType[T], accountId = ACCOUNT): Promise<Published> {
    return this.publish(SERVICES.devices.topic, envelope(type, id, accountId, version, data));
  }

  publishTicket<T extends TicketEventType>(type: T, id: string, version: number, data: TicketEventDataByType[T], accountId = ACCOUNT): Promise<Published> {
    return this.publish(SERVICES.tickets.topic, envelope(type, id, accountId, version, data));
  }

  /** Waits until a mirror has read past a published event (its position as GET /admin/projections shows it). */
  async mirrored(name: string, published: Published): Promise<void> {
    await waitFor(`the ${name} mirror to read past ${published.partition}@${published.offset}`, async () => {
      const positions = (await this.projection(name))['positions'] as Record<string, string> | undefined;
      const next = positions?.[String(published.partition)];
      return next !== undefined && BigInt(next) > published.offset;
    });
  }

  /** A technician registered on technicians.events, once sessions knows it. */
  async knownTechnician(accountId = ACCOUNT): Promise<string> {
    const id = freshId('tech');
    await this.mirrored('technicians', await this.publishTechnician('TechnicianRegistered', id, 1, { name: 'Grace', email: 'grace@example.com', by: 'key_x' }, accountId));
    return id;
  }

  /** A device registered on devices.events, once sessions knows it. */
  async knownDevice(accountId = ACCOUNT): Promise<string> {
    const id = freshId('dev');
    await this.mirrored('devices', await this.publishDevice('DeviceRegistered', id, 1, {
      name: 'Front desk PC', os: 'windows', hostname: 'desk-01', tags: [], ownerTechnicianId: null, by: 'key_x',
    }, accountId));
    return id;
  }

  /** A ticket created on tickets.events, once sessions knows it. */
  async knownTicket(accountId = ACCOUNT): Promise<string> {
    const id = freshId('tkt');
    await this.mirrored('tickets', await this.publishTicket('TicketCreated', id, 1, {
      reference: 'TKT-7K3Q9P', requesterName: 'Ada', requesterEmail: 'ada@example.com', contact: null, problemDescription: 'slow', deviceId: null, by: 'key_x',
    }, accountId));
    return id;
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


export function envelope(type: string, aggregateId: string, accountId: string, version: number, data: unknown, occurredAt = new Date().toISOString()): EventEnvelope {
  return { id: randomUUID(), type, schemaVersion: 1, aggregateId, accountId, version, occurredAt, data };
}

/** A well-formed key no service knows. */
export function unknownKey(kind: KeyKind = 'private'): string {
  return generateToken(kind);
}

let counter = 0;
/** A fresh id of a kind, unique in the run. */
export function freshId(prefix: string): string {
  counter++;
  return `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 16)}${counter}`;
}
