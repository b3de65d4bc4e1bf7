import type { DynamicModule, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Inject, Injectable, Logger, Module } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { Connection } from 'mongoose';
import type { ServiceConfig } from '@keyward/config';
import { topicName } from '@keyward/config';
import { eventRegistryOf, SERVICES } from '@keyward/contracts';
import { createIdempotentProducer, createKafka, RenewableProducer } from '@keyward/messaging';
import type { Clock } from '@keyward/service-runtime';
import { CLOCK, KAFKA, MONGO_CONNECTION, ReadinessService, SERVICE_CONFIG } from '@keyward/service-runtime';
import { MongoEventStore } from '../mongo-event-store';
import { OutboxRelay } from '../outbox-relay';
import { RelayWatermarks } from '../relay-watermarks';
import { publishedIdsInTail } from '../published-tail';
import type { StoredEvent } from '../stored-event';

/** Local handlers the relay runs on each batch once published, before marking it (the service's own read models). */
@Injectable()
export class OutboxHooks {
  private readonly hooks: ((events: readonly StoredEvent[]) => Promise<void>)[] = [];

  register(hook: (events: readonly StoredEvent[]) => Promise<void>): void {
    this.hooks.push(hook);
  }

  async run(events: readonly StoredEvent[]): Promise<void> {
    for (const hook of this.hooks) await hook(events);
  }
}

/** The service's idempotent producer (the relay's; operator republishing uses it too). */
export const OUTBOX_PRODUCER = Symbol('OutboxProducer');
/** Retries of the relay's producer and its client: about 1.5 s in all before a send or connect fails. */
const RELAY_PRODUCER_RETRY = { retries: 4, initialRetryTime: 100, maxRetryTime: 1_000 };

/** The relay's watermark publisher, or null when the service's consumers need none. */
const RELAY_WATERMARKS = Symbol('RelayWatermarks');

export interface EventStoreModuleOptions {
  /**
   * The relay publishes freshness watermarks on `<topic>.watermarks` (relay-watermarks.ts): the
   * keys service, whose consumers measure their staleness by them.
   */
  readonly watermarks?: boolean;
}

@Injectable()
class EventStoreLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('EventStore');

  constructor(
    private readonly store: MongoEventStore,
    private readonly relay: OutboxRelay,
    @Inject(OUTBOX_PRODUCER) private readonly producer: RenewableProducer,
    private readonly readiness: ReadinessService,
    @Inject(RELAY_WATERMARKS) private readonly watermarks: RelayWatermarks | null,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.store.init();
    // Kafka answered a moment ago (the runtime waited for it), but a broker can go away at any
    // time: a producer that cannot connect now is connected by the relay when it next publishes,
    // and appends keep being accepted meanwhile (the store is the outbox).
    await this.producer.connect().catch((e: unknown) => {
      this.logger.warn(`outbox producer not connected yet, the relay will retry: ${e instanceof Error ? e.message : String(e)}`);
      this.relay.requestProducerReset();
    });
    this.relay.start();
    this.readiness.register({
      name: 'outbox',
      check: async () => {
        const s = this.relay.status();
        return s.lastError ? { ready: true, detail: `publishing is retrying: ${s.lastError}` } : { ready: true };
      },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay.stop();
    await this.watermarks?.close();
    // Bounded (RenewableProducer): a producer talking to a dead broker may not return from disconnect for long.
    await this.producer.disconnect().catch(() => undefined);
  }
}

/**
 * The event store of the service's own aggregates, in its own database, and the relay that
 * publishes it to the service's topic (from libs/contracts SERVICES).
 */
@Module({})
export class EventStoreModule {
  static forRoot(moduleOptions: EventStoreModuleOptions = {}): DynamicModule {
    return {
      module: EventStoreModule,
      global: true,
      providers: [
        OutboxHooks,
        {
          provide: MongoEventStore,
          inject: [MONGO_CONNECTION, CLOCK, SERVICE_CONFIG],
          // Reads upcast by the topic's event registry in libs/contracts, the one consumers parse with.
          useFactory: (connection: Connection, clock: Clock, config: ServiceConfig) =>
            new MongoEventStore(connection, { now: () => clock.now(), registry: eventRegistryOf(config.service) }),
        },
        {
          provide: OUTBOX_PRODUCER,
          inject: [SERVICE_CONFIG],
          // A client of its own with short retries: with the shared client's (8, growing to seconds,
          // nested in each send's own retries) a send begun while Kafka is away can sit out long pauses
          // after it is back. Here such a send fails within seconds and the relay tries again every
          // second (resetting the producer when needed), so the backlog goes out soon after the broker
          // answers again.
          // Renewable: after a broker restart the relay may need a new producer id (outbox-relay.ts).
          useFactory: (config: ServiceConfig) => {
            const kafka = createKafka(config, { retry: RELAY_PRODUCER_RETRY });
            return new RenewableProducer(() => createIdempotentProducer(kafka, { retry: RELAY_PRODUCER_RETRY }));
          },
        },
        {
          provide: RELAY_WATERMARKS,
          inject: [KAFKA, OUTBOX_PRODUCER, SERVICE_CONFIG],
          // The watermark's offsets are read with the service's client; it is sent with the relay's producer.
          useFactory: (kafka: Kafka, producer: RenewableProducer, config: ServiceConfig) => {
            const topic = SERVICES[config.service].topic;
            return moduleOptions.watermarks && topic ? new RelayWatermarks(kafka, producer, { topic: topicName(config, topic) }) : null;
          },
        },
        {
          provide: OutboxRelay,
          inject: [MongoEventStore, OUTBOX_PRODUCER, MONGO_CONNECTION, SERVICE_CONFIG, CLOCK, OutboxHooks, KAFKA, RELAY_WATERMARKS],
          useFactory: (store: MongoEventStore, producer: RenewableProducer, connection: Connection, config: ServiceConfig, clock: Clock, hooks: OutboxHooks, kafka: Kafka, watermarks: RelayWatermarks | null) => {
            const topic = SERVICES[config.service].topic;
            if (!topic) throw new Error(`${config.service} publishes no topic, so it has no event store`);
            const logger = new Logger('OutboxRelay');
            return new OutboxRelay(store, producer, connection, {
              topic: topicName(config, topic),
              now: () => clock.now(),
              // After the send: the read-model repair must not delay propagation (on FerretDB a stream
              // read is a collection scan: ~60 ms with a few hundred events, measured by tools/bench).
              afterPublish: (events) => hooks.run(events),
              ...(watermarks ? { onDrained: (coveredUntilMs: number) => watermarks.drained(coveredUntilMs) } : {}),
              log: (m) => logger.warn(m),
              // Several instances: one publishes at a time, under a fenced lease (docs/scaling.md).
              instanceId: config.instanceId,
              leaseTtlMs: config.relayLeaseTtlMs,
              publishedTail: (perPartition) => publishedIdsInTail(kafka, topicName(config, topic), perPartition),
            });
          },
        },
        EventStoreLifecycle,
      ],
      exports: [MongoEventStore, OutboxRelay, OutboxHooks, OUTBOX_PRODUCER],
    };
  }
}
