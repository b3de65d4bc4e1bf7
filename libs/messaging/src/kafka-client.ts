import { Logger } from '@nestjs/common';
import type { Admin, ITopicConfig, KafkaConfig, LogEntry, Producer, ProducerConfig } from 'kafkajs';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { EVENT_TOPIC_PARTITIONS } from '@keyward/contracts';
import type { KafkaRetryOptions } from './kafka-retry';
import { withKafkaRetry } from './kafka-retry';

export interface KafkaConnectionOptions {
  readonly kafkaBrokers: readonly string[];
  readonly kafkaClientId: string;
}

/** kafkajs logs through Nest's logger, so one process has one log format. */
function nestLogCreator(): (entry: LogEntry) => void {
  const logger = new Logger('kafkajs');
  return ({ level, log }) => {
    const { message, ...extra } = log;
    const line = `${message} ${JSON.stringify(extra)}`;
    // kafkajs reports retriable broker states (a coordinator still loading) as errors; they are
    // retried and are noise at start-up, so they are warnings here.
    if (level === logLevel.ERROR) logger.warn(line);
    else logger.debug(line);
  };
}

export function createKafka(options: KafkaConnectionOptions, overrides: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId: options.kafkaClientId,
    brokers: [...options.kafkaBrokers],
    connectionTimeout: 3000,
    logLevel: logLevel.WARN,
    logCreator: () => nestLogCreator(),
    retry: { initialRetryTime: 100, retries: 8 },
    ...overrides,
  });
}

/** An event topic: a few partitions (order matters per aggregate key only), kept forever. */
export function eventTopic(name: string): ITopicConfig {
  return {
    topic: name,
    numPartitions: EVENT_TOPIC_PARTITIONS,
    replicationFactor: -1,
    configEntries: [
      { name: 'retention.ms', value: '-1' },
      { name: 'retention.bytes', value: '-1' },
      { name: 'cleanup.policy', value: 'delete' },
    ],
  };
}

/**
 * Creates the topics that do not exist yet and returns once every partition of each has a leader
 * that answers (a topic used right after creation otherwise meets "This server does not host this
 * topic-partition"). Safe to call from several services at once; every call is retried on
 * transient broker states (withKafkaRetry).
 */
export async function ensureTopics(admin: Admin, topics: readonly ITopicConfig[], options: KafkaRetryOptions = {}): Promise<void> {
  if (topics.length === 0) return;
  const names = topics.map((t) => t.topic).join(', ');
  const existing = new Set(await withKafkaRetry(`list topics (for ${names})`, () => admin.listTopics(), options));
  const missing = topics.filter((t) => !existing.has(t.topic));
  if (missing.length > 0) {
    await withKafkaRetry(`create topics ${names}`, async () => {
      try {
        await admin.createTopics({ topics: [...missing], waitForLeaders: true });
      } catch (e) {
        // Another service may have created it between our list and our create.
        if (!isTopicAlreadyExists(e)) throw e;
      }
    }, options);
  }
  // Leaders elected and answering: fetching the offsets of every partition needs exactly that.
  for (const t of topics) {
    await withKafkaRetry(`wait for the leaders of ${t.topic}`, async () => {
      const offsets = await admin.fetchTopicOffsets(t.topic);
      if (t.numPartitions !== undefined && t.numPartitions > 0 && offsets.length < t.numPartitions) {
        throw Object.assign(new Error(`${t.topic} has ${offsets.length} of ${t.numPartitions} partitions so far`), { type: 'LEADER_NOT_AVAILABLE' });
      }
    }, options);
  }
}

function isTopicAlreadyExists(e: unknown): boolean {
  const s = e as { type?: unknown; message?: unknown; errors?: unknown };
  if (typeof e !== 'object' || e === null) return false;
  if (Array.isArray(s.errors) && s.errors.length > 0) return s.errors.every(isTopicAlreadyExists);
  return s.type === 'TOPIC_ALREADY_EXISTS' || (typeof s.message === 'string' && /already exists/i.test(s.message));
}

/**
 * Resolves when the cluster answers within the bound; used by readiness checks. Pass the one
 * long-lived admin of the process: a new admin per check would open a connection per /ready.
 */
export async function kafkaReachable(admin: Admin, timeoutMs = 700): Promise<void> {
  await withDeadline(admin.describeCluster(), timeoutMs, `Kafka did not answer within ${timeoutMs} ms`);
}

/** Races a promise against a deadline; the loser is left to settle on its own. */
export async function withDeadline<T>(promise: Promise<T>, timeoutMs: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(message)), timeoutMs); }),
    ]);
  } finally {
    clearTimeout(timer);
    // A promise that loses the race may still reject later; that is expected, not unhandled.
    promise.catch(() => undefined);
  }
}

/**
 * The producer every service publishes with: idempotent (the broker drops a retried duplicate),
 * one request in flight (so a retry cannot reorder one partition), acks from all replicas, and
 * the murmur2 partitioner that Java clients use, so a key maps to the same partition everywhere.
 */
export function createIdempotentProducer(kafka: Kafka, overrides: Partial<ProducerConfig> = {}): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
    ...overrides,
  });
}
