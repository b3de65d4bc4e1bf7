import { Logger } from '@nestjs/common';
import type { Admin, Kafka } from 'kafkajs';
import mongoose from 'mongoose';
import type { Connection } from 'mongoose';
import type { ServiceConfig } from '@keyward/config';
import { topicName } from '@keyward/config';
import { SERVICES } from '@keyward/contracts';
import { backoffDelay, createKafka, ensureTopics, eventTopic, pause } from '@keyward/messaging';

export interface DependencyState {
  readonly ready: boolean;
  readonly detail?: string;
}

/**
 * Where the service's two dependencies stand, from the first connection attempt on. The database
 * connection and the Kafka client are handed to the rest of the service only once each has
 * answered (their providers wait here, retrying), so every start-up step after them finds them
 * up: the service can be started before its database or Kafka, in any order, and meanwhile
 * answers /health 200 and everything else 503 not ready (runService's start-up listener).
 */
export class InfraStatus {
  /** The one made last in this process; runService's start-up listener reports from it. */
  static latest: InfraStatus | undefined;

  private readonly abort = new AbortController();
  private databaseState: DependencyState = { ready: false, detail: 'connecting' };
  private kafkaState: DependencyState = { ready: false, detail: 'connecting' };
  /** The process's one long-lived admin client (readiness asks it; no admin per check). */
  admin: Admin | undefined;

  constructor() {
    InfraStatus.latest = this;
  }

  /** Aborted at shutdown: connection attempts stop waiting. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  stop(): void {
    this.abort.abort();
  }

  get database(): DependencyState {
    return this.databaseState;
  }

  get kafka(): DependencyState {
    return this.kafkaState;
  }

  setDatabase(state: DependencyState): void {
    this.databaseState = state;
  }

  setKafka(state: DependencyState): void {
    this.kafkaState = state;
  }

  /** "database: connecting (ECONNREFUSED); kafka: ready" for the start-up answers. */
  describe(): string {
    const part = (name: string, s: DependencyState): string => `${name}: ${s.ready ? 'ready' : s.detail ?? 'not ready'}`;
    return `${part('database', this.databaseState)}; ${part('kafka', this.kafkaState)}`;
  }
}

const message = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

/**
 * Driver options that bound every wait on the database: server selection and connect fail after
 * `databaseTimeoutMs` (so a request meets a dead database within ~1 s, answered 503), a silent
 * socket after `databaseSocketTimeoutMs`; mongoose does not buffer commands while disconnected
 * (it would hold each request for 10 s, then fail it), and the driver probes a lost server every
 * second so it is used again soon after it returns.
 */
export function databaseOptions(config: ServiceConfig): mongoose.ConnectOptions {
  return {
    dbName: config.mongodbDatabase,
    serverSelectionTimeoutMS: config.limits.databaseTimeoutMs,
    // A dead database refuses at once; a live one on a loaded box may take longer to accept.
    connectTimeoutMS: 2 * config.limits.databaseTimeoutMs,
    socketTimeoutMS: config.limits.databaseSocketTimeoutMs,
    heartbeatFrequencyMS: 1000,
    bufferCommands: false,
    // FerretDB has no sessions or transactions; the drivers' implicit sessions are fine,
    // but nothing here may depend on multi-document transactions.
    autoIndex: true,
  };
}

/**
 * Opens the service's database connection, retrying with backoff until the database answers
 * (or shutdown). The driver then reconnects by itself after any later outage.
 */
export async function connectDatabase(config: ServiceConfig, status: InfraStatus): Promise<Connection> {
  const logger = new Logger('Infra');
  const connection = mongoose.createConnection();
  for (let attempt = 1; ; attempt++) {
    try {
      await connection.openUri(config.mongodbUri, databaseOptions(config));
      status.setDatabase({ ready: true });
      if (attempt > 1) logger.log(`database ${config.mongodbDatabase} answered after ${attempt} attempts`);
      return connection;
    } catch (e) {
      if (status.signal.aborted) throw e;
      status.setDatabase({ ready: false, detail: `connecting (${message(e)})` });
      if (attempt === 1 || attempt % 20 === 0) logger.warn(`database not reachable yet, retrying: ${message(e)}`);
      await pause(backoffDelay(attempt, 200, 2000), status.signal);
    }
  }
}

/**
 * Makes the service's Kafka client once the cluster answers: connects the process's admin client,
 * creates the topic the service publishes, retrying with backoff until both succeed (or shutdown).
 */
export async function connectKafka(config: ServiceConfig, status: InfraStatus): Promise<Kafka> {
  const logger = new Logger('Infra');
  const kafka = createKafka(config);
  // Few retries inside one attempt: this loop retries, and readiness reports between attempts.
  const admin = kafka.admin({ retry: { retries: 2, initialRetryTime: 200 } });
  const own = SERVICES[config.service].topic;
  for (let attempt = 1; ; attempt++) {
    try {
      await admin.connect();
      if (own) await ensureTopics(admin, [eventTopic(topicName(config, own))], { signal: status.signal });
      status.admin = admin;
      status.setKafka({ ready: true });
      if (attempt > 1) logger.log(`Kafka answered after ${attempt} attempts`);
      return kafka;
    } catch (e) {
      if (status.signal.aborted) {
        await admin.disconnect().catch(() => undefined);
        throw e;
      }
      status.setKafka({ ready: false, detail: `connecting (${message(e)})` });
      if (attempt === 1 || attempt % 20 === 0) logger.warn(`Kafka not reachable yet, retrying: ${message(e)}`);
      await pause(backoffDelay(attempt, 200, 2000), status.signal);
    }
  }
}
