import { Logger } from '@nestjs/common';

/**
 * Retrying Kafka admin and metadata calls (create/list topics, fetch offsets, describe, leader
 * election) on the broker states that pass by themselves: a topic created a moment ago without
 * leaders yet, a partition whose leader moved, a coordinator still loading, a broker restarting.
 * kafkajs retries some of these inside one call, but gives up with KafkaJSNumberOfRetriesExceeded
 * or a bare protocol error, which made services exit at start-up on a loaded machine.
 */

/** Protocol error types (kafkajs `type`) that a later attempt can get past. */
const TRANSIENT_TYPES = new Set([
  'NOT_LEADER_FOR_PARTITION',
  'NOT_LEADER_OR_FOLLOWER',
  'LEADER_NOT_AVAILABLE',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'COORDINATOR_NOT_AVAILABLE',
  'GROUP_COORDINATOR_NOT_AVAILABLE',
  'GROUP_LOAD_IN_PROGRESS',
  'NOT_COORDINATOR',
  'NOT_COORDINATOR_FOR_GROUP',
  'NOT_CONTROLLER',
  'REQUEST_TIMED_OUT',
  'NETWORK_EXCEPTION',
  'BROKER_NOT_AVAILABLE',
  'REPLICA_NOT_AVAILABLE',
  'NOT_ENOUGH_REPLICAS',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'KAFKA_STORAGE_ERROR',
  'FETCH_SESSION_ID_NOT_FOUND',
  'PREFERRED_LEADER_NOT_AVAILABLE',
  'ELIGIBLE_LEADERS_NOT_AVAILABLE',
  'REBALANCE_IN_PROGRESS',
  'OFFSET_NOT_AVAILABLE',
  'UNSTABLE_OFFSET_COMMIT',
  'THROTTLING_QUOTA_EXCEEDED',
]);

/** kafkajs error classes that mean "the broker could not be reached or did not answer in time". */
const TRANSIENT_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSStaleTopicMetadataAssignment',
  'KafkaJSLockTimeout',
  'KafkaJSGroupCoordinatorNotFound',
]);

const TRANSIENT_MESSAGE = /does not host this topic-partition|not the leader|leader not available|no leader|coordinator is (loading|not available)|request timed out|connection (error|timeout|refused|closed)|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|socket hang up|not available|metadata not loaded|no brokers? available|closed connection/i;

interface ErrorShape {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly type?: unknown;
  readonly code?: unknown;
  readonly cause?: unknown;
  readonly originalError?: unknown;
  readonly errors?: unknown;
}

function shapeOf(e: unknown): ErrorShape | undefined {
  return typeof e === 'object' && e !== null ? (e as ErrorShape) : undefined;
}

/**
 * True when a Kafka error is worth another attempt: a transient protocol state, a connection or
 * timeout error, anywhere in its cause chain (kafkajs wraps the last one in
 * KafkaJSNumberOfRetriesExceeded) or in every error of an aggregate (createTopics reports one
 * per topic).
 */
export function isTransientKafkaError(e: unknown, depth = 0): boolean {
  const s = shapeOf(e);
  if (!s || depth > 8) return false;
  if (Array.isArray(s.errors) && s.errors.length > 0) return s.errors.every((inner) => isTransientKafkaError(inner, depth + 1));
  if (typeof s.type === 'string' && TRANSIENT_TYPES.has(s.type)) return true;
  if (typeof s.name === 'string' && TRANSIENT_NAMES.has(s.name)) return true;
  if (typeof s.code === 'string' && /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND)$/.test(s.code)) return true;
  if (typeof s.message === 'string' && TRANSIENT_MESSAGE.test(s.message)) return true;
  return isTransientKafkaError(s.cause, depth + 1) || isTransientKafkaError(s.originalError, depth + 1);
}

export interface KafkaRetryOptions {
  /** Attempts in all, the first included (default 12). */
  readonly attempts?: number;
  /** Give up once this much time has passed since the first attempt (default 30 s). */
  readonly deadlineMs?: number;
  /** First pause; doubles each attempt up to maxDelayMs, each pause jittered (defaults 100 ms, 2 s). */
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Stops retrying (rejects with the last error) once aborted, e.g. at shutdown. */
  readonly signal?: AbortSignal;
  /** Called before each pause: what failed and how long until the next attempt. */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Which errors to retry (default isTransientKafkaError). */
  readonly retryIf?: (error: unknown) => boolean;
}

/** Full jitter: a pause anywhere up to the exponential bound, so retrying clients do not synchronise. */
export function backoffDelay(attempt: number, initialDelayMs: number, maxDelayMs: number, random: () => number = Math.random): number {
  const bound = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.max(1, Math.round(bound / 2 + (bound / 2) * random()));
}

/** A pause that ends early (resolving) when the signal aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

const logger = new Logger('KafkaRetry');

/** The first retry of a call is logged as a warning, later ones at debug: one line per incident. */
function retryLog(what: string, e: unknown, attempt: number, delayMs: number): void {
  const line = `${what}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} (attempt ${attempt}, retrying in ${delayMs} ms)`;
  if (attempt === 1) logger.warn(line);
  else logger.debug(line);
}

/**
 * Runs a Kafka admin/metadata call, retrying it on transient errors with jittered exponential
 * backoff, within a bound of attempts and time. The one retry helper every admin call in the
 * platform goes through (topics, offsets, group offsets, metadata).
 */
export async function withKafkaRetry<T>(what: string, op: () => Promise<T>, options: KafkaRetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 12;
  const deadline = Date.now() + (options.deadlineMs ?? 30_000);
  const retryIf = options.retryIf ?? isTransientKafkaError;
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (e) {
      const delay = backoffDelay(attempt, options.initialDelayMs ?? 100, options.maxDelayMs ?? 2000);
      if (attempt >= attempts || Date.now() + delay > deadline || options.signal?.aborted || !retryIf(e)) {
        throw e;
      }
      options.onRetry?.(e, attempt, delay);
      retryLog(what, e, attempt, delay);
      await pause(delay, options.signal);
    }
  }
}
