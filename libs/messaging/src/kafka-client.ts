import { Logger } from '@nestjs/common';
import type { Admin, ITopicConfig, KafkaConfig, LogEntry, Producer, ProducerConfig } from 'kafkajs';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { EVENT_TOPIC_PARTITIONS } from '@keyward/contracts';

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

/** Creates the topics that do not exist yet; safe to call from several services at once. */
export async function ensureTopics(admin: Admin, topics: readonly ITopicConfig[]): Promise<void> {
  if (topics.length === 0) return;
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t.topic));
  if (missing.length === 0) return;
  for (let attempt = 1; ; attempt++) {
    try {
      await admin.createTopics({ topics: [...missing], waitForLeaders: true });
      return;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      // Another service may have created it between our list and our create.
      if (/already exists/i.test(message)) return;
      // A topic created a moment ago may not have its leaders yet when we wait for them.
      if (attempt >= 10 || !/does not host this topic-partition|UNKNOWN_TOPIC_OR_PARTITION|leader/i.test(message)) throw e;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

/** Resolves when the cluster answers within the bound; used by readiness checks. */
export async function kafkaReachable(admin: Admin, timeoutMs = 2000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      admin.describeCluster(),
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs); }),
    ]);
  } finally {
    clearTimeout(timer);
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
