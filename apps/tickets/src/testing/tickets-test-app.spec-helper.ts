import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import type { ServiceConfig } from '@keyward/config';
import type {
  EventEnvelope,
  KeyKind,
  Permission,
  SessionEventDataByType,
  SessionEventType,
  TechnicianEventDataByType,
  TechnicianEventType,
} from '@keyward/contracts';
import { generateToken, SERVICES } from '@keyward/contracts';
import { MongoEventStore } from '@keyward/event-store';
import { createIdempotentProducer } from '@keyward/messaging';
import type { CallOptions, InProcessService, ManualClock, Reply, TestKey } from '@keyward/testing';
import { call, createEventTopics, keyProbe, projectionStatus, publishTestKey, rebuildProjection, startInProcess, testKafka, testServiceConfig, waitFor } from '@keyward/testing';
import type { DevicesMirror, TechniciansMirror } from '../application/ticket.aggregate';
import { DEVICES_MIRROR, TECHNICIANS_MIRROR } from '../application/ticket.aggregate';
import { SessionTicketProcessManager } from '../process/session-ticket.process-manager';
import { TicketsModule } from '../tickets.module';

export type { CallOptions, Reply } from '@keyward/testing';

export const ACCOUNT = 'acc_tickets_a';
export const OTHER_ACCOUNT = 'acc_tickets_b';

/** Where a published event landed. */
export interface Published {
  readonly partition: number;
  readonly offset: bigint;
}

/** The keys every tickets spec uses, published onto `<prefix>keys.events` as the keys service would. */
export interface TicketsTestKeys {
  /** Private, account A: every tickets permission. */
  readonly admin: TestKey;
  /** Private, account A: tickets:read only. */
  readonly reader: TestKey;
  /** Private, account A: tickets:create only. */
  readonly creator: TestKey;
  /** Public, account A: tickets:create (the seed's public route). */
  readonly public: TestKey;
  /** Private, account B: every tickets permission. */
  readonly other: TestKey;
}

const ALL_TICKETS: readonly Permission[] = ['tickets:create', 'tickets:read', 'tickets:write'];

/**
 * The tickets service in this test process on the run's real Kafka and FerretDB (its own
 * database and topic prefix), its keys learned from `<prefix>keys.events`, and a producer to put
 * other services' contract events on their topics, as those services would.
 */
export class TicketsTestApp {
  private constructor(
    private current: InProcessService,
    readonly config: ServiceConfig,
    readonly keys: TicketsTestKeys,
    private readonly producer: Producer,
  ) {}

  static async start(options: { clock?: ManualClock; config?: ServiceConfig } = {}): Promise<TicketsTestApp> {
    const config = options.config ?? testServiceConfig('tickets');
    await createEventTopics(config.topicPrefix);
    const service = await startInProcess(TicketsModule.forRoot({ config, ...(options.clock ? { clock: options.clock } : {}) }));
    const producer = createIdempotentProducer(testKafka());
    await producer.connect();
    const publish = (accountId: string, kind: KeyKind, permissions: readonly Permission[]): Promise<TestKey> =>
      publishTestKey(testKafka(), config.topicPrefix, { accountId, kind, permissions });
    const keys: TicketsTestKeys = {
      admin: await publish(ACCOUNT, 'private', ALL_TICKETS),
      reader: await publish(ACCOUNT, 'private', ['tickets:read']),
      creator: await publish(ACCOUNT, 'private', ['tickets:create']),
      public: await publish(ACCOUNT, 'public', ['tickets:create']),
      other: await publish(OTHER_ACCOUNT, 'private', ALL_TICKETS),
    };
    const app = new TicketsTestApp(service, config, keys, producer);
    for (const key of Object.values(keys)) {
      await waitFor(`key ${key.keyId} to reach the tickets key projection`, async () =>
        (await app.call('GET', keyProbe('tickets').path, { secret: key.secret })).code !== 'unknown_key');
    }
    return app;
  }

  get service(): InProcessService {
    return this.current;
  }

  get url(): string {
    return this.current.url;
  }

  /**
   * Stops the service, runs `whileDown` (the producer stays up), and starts it again on the same
   * database and topics, as a restarted process would.
   */
  async restart(whileDown: () => Promise<void> = async () => undefined, clock?: ManualClock): Promise<void> {
    await this.current.close();
    await whileDown();
    this.current = await startInProcess(TicketsModule.forRoot({ config: this.config, ...(clock ? { clock } : {}) }));
    await waitFor('the restarted service to know the admin key', async () => (await this.call('GET', keyProbe('tickets').path)).status === 200);
  }

  /** tickets' mirror of devices.events. */
  devices(): DevicesMirror {
    return this.service.app.get<DevicesMirror>(DEVICES_MIRROR);
  }

  /** tickets' mirror of technicians.events. */
  technicians(): TechniciansMirror {
    return this.service.app.get<TechniciansMirror>(TECHNICIANS_MIRROR);
  }

  async close(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
    await this.current.close();
  }

  /** One call with the admin key unless another (or null: none) is given. */
  call(method: string, path: string, { secret = this.keys.admin.secret, ...rest }: CallOptions = {}): Promise<Reply> {
    return call(this.url, method, path, { secret, ...rest });
  }

  /** Creates a ticket with the admin key (or another) and returns its full view. */
  async createTicket(overrides: Record<string, unknown> = {}, secret = this.keys.admin.secret): Promise<Record<string, unknown> & { id: string }> {
    const reply = await this.call('POST', '/v1/tickets', { secret, body: { ...VALID_TICKET, ...overrides } });
    if (reply.status !== 201) throw new Error(`could not create a ticket: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body as Record<string, unknown> & { id: string };
  }

  async ticket(id: string): Promise<Record<string, unknown>> {
    const reply = await this.call('GET', `/v1/tickets/${id}`);
    if (reply.status !== 200) throw new Error(`GET ticket ${id}: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body;
  }

  /** Events in the tickets event store (to prove a refused or repeated command wrote nothing). */
  eventCount(): Promise<number> {
    return this.service.app.get(MongoEventStore).events.countDocuments();
  }

  /** Puts one contract event on `<prefix><topic>`, keyed by aggregate, as its owning service's relay would. */
  async publish(topic: string, event: EventEnvelope): Promise<Published> {
    const [meta] = await this.producer.send({
      topic: `${this.config.topicPrefix}${topic}`, acks: -1, messages: [{ key: event.aggregateId, value: JSON.stringify(event) }],
    });
    if (!meta) throw new Error('the broker did not acknowledge the event');
    return { partition: meta.partition, offset: BigInt(meta.baseOffset ?? '0') };
  }

  publishTechnician<T extends TechnicianEventType>(type: T, technicianId: string, version: number, data: TechnicianEventDataByType[T], accountId = ACCOUNT): Promise<Published> {
    return this.publish(SERVICES.technicians.topic, envelope(type, technicianId, accountId, version, data));
  }

  publishSession<T extends SessionEventType>(type: T, sessionId: string, version: number, data: SessionEventDataByType[T], accountId = ACCOUNT): Promise<Published> {
    return this.publish(SERVICES.sessions.topic, envelope(type, sessionId, accountId, version, data));
  }

  /**
   * Waits until the sessions mirror has read past a published event and the process manager has
   * finished what that gave it: the mirror calls its listeners in the same synchronous step in
   * which it advances the position that GET /admin/projections shows.
   */
  async sessionEventHandled(published: Published): Promise<void> {
    await waitFor(`the sessions mirror to read past ${published.partition}@${published.offset}`, async () => {
      const positions = (await this.projection('sessions'))['positions'] as Record<string, string> | undefined;
      const next = positions?.[String(published.partition)];
      return next !== undefined && BigInt(next) > published.offset;
    });
    await this.service.app.get(SessionTicketProcessManager).idle();
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


export const VALID_TICKET = {
  requesterName: 'Ada Lovelace',
  requesterEmail: 'ada@example.com',
  contact: '+44 20 7946 0000',
  problemDescription: 'The analytical engine prints only question marks',
} as const;

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
