import { hostname as osHostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServiceName } from '@keyward/contracts';
import { SERVICES } from '@keyward/contracts';
import type { EdgeUpstreamsConfig } from './edge-upstreams';
import { parseUpstreamTargets } from './edge-upstreams';

/** Everything a service reads from its environment, checked once at start-up. */
export interface ServiceConfig {
  readonly service: ServiceName;
  readonly host: string;
  readonly port: number;
  readonly kafkaBrokers: readonly string[];
  readonly kafkaClientId: string;
  /** Prefixed to every topic name (tests give each run of a service its own topics). */
  readonly topicPrefix: string;
  readonly mongodbUri: string;
  /** Each service has its own database; no service reads another's. */
  readonly mongodbDatabase: string;
  /** Largest request body accepted, in bytes. */
  readonly bodyLimitBytes: number;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Logs are JSON lines (pino); `pretty` (LOG_FORMAT) only when a person reads them live. */
  readonly logFormat: 'json' | 'pretty';
  /** How the service bounds its waits and its work (docs/failure-model.md). */
  readonly limits: RuntimeLimits;
  /** Addresses/CIDRs whose X-Forwarded-For is believed (the edge); empty: none (TRUSTED_PROXIES). */
  readonly trustedProxies: string;
  /** The key projection's consumer group (KEY_PROJECTION_GROUP_ID), default per service. */
  readonly keyProjectionGroupId: string;
  /** Bound on the key projection's staleness in ms, 0 = none (KEY_PROJECTION_MAX_STALENESS_MS, 30000; why: docs/consumers.md). */
  readonly keyProjectionMaxStalenessMs: number;
  /** How often the keys service records KeyExpired for keys past their expiry (KEY_EXPIRY_SWEEP_MS, 1000; keys only). */
  readonly keyExpirySweepMs: number;
  /**
   * Platform operator tokens (OPERATOR_TOKENS, comma-separated, each at least 32 characters):
   * `/admin/*` and `/metrics` answer only `Authorization: Bearer <one of them>`. Several, so one
   * can be replaced without downtime. Empty: those routes answer 404 to everyone.
   */
  readonly operatorTokens: readonly string[];
  /** A projection rebuild that has not swapped and persisted by then fails, and the live one keeps serving (REBUILD_TIMEOUT_MS, 1800000). */
  readonly rebuildTimeoutMs: number;
  // Edge-to-service trust and the auth-failure throttle (edge-trust):
  /** Shared by the edge and the services: the edge signs what it asserts with it (EDGE_SIGNING_SECRET, required, >= 32 chars). */
  readonly edgeSigningSecret: string;
  /** How old (or how far ahead) an edge signature may be, in ms (EDGE_SIGNATURE_WINDOW_MS, 30000). */
  readonly edgeSignatureWindowMs: number;
  /** Authentication failures allowed per client address per window (AUTH_FAILURE_LIMIT, 20; AUTH_FAILURE_WINDOW_MS, 60000). */
  readonly authFailureLimit: number;
  readonly authFailureWindowMs: number;
  /** The time a client may take to send a request body, in ms, then 408 (CLIENT_BODY_TIMEOUT_MS, 10000). */
  readonly clientBodyTimeoutMs: number;
  /** The edge's upstreams: instance lists, per-instance bounds, health checks (edge-upstreams; docs/edge-balancing.md). */
  readonly edgeUpstreams: EdgeUpstreamsConfig;
  // Scale-out (docs/scaling.md):
  /**
   * This instance among the N of its service (INSTANCE_ID; default `<hostname>-<port>`, or
   * `<hostname>-pid<pid>` on port 0, so two instances on one host differ). Names the instance's own
   * consumer groups and checkpoints and the holder of a lease; keep it stable across restarts.
   */
  readonly instanceId: string;
  /** The outbox relay's lease: another instance takes over this long after the holder stopped renewing (RELAY_LEASE_TTL_MS, 10000). */
  readonly relayLeaseTtlMs: number;
  // Browser keys and per-key rate limits (browser-keys, docs/browser-keys.md):
  /** The edge: how many edges share the traffic; each enforces 1/N of every key's rate limit (RATE_LIMIT_EDGES, 1). */
  readonly rateLimitEdges: number;
  /** The edge: answer CORS preflights for private routes too, not only the public-key ones (CORS_PRIVATE_ROUTES, false). */
  readonly corsPrivateRoutes: boolean;
  // Projection snapshots (snapshots, docs/snapshots.md):
  /** Directory of the projections' local snapshots (PROJECTION_SNAPSHOT_DIR, default `<tmpdir>/keyward-state`); empty: no snapshots. */
  readonly projectionSnapshotDir: string;
  /** A projection writes a new snapshot at most this often, when it changed (PROJECTION_SNAPSHOT_INTERVAL_MS, 60000); 0: never. */
  readonly projectionSnapshotIntervalMs: number;
  // Usage per key (docs/usage.md):
  /**
   * How often the edge and each service publish the usage they counted to `keys.usage`
   * (USAGE_FLUSH_INTERVAL_MS, 10000); also what a crash can lose at most.
   */
  readonly usageFlushIntervalMs: number;
}

/**
 * Bounds that turn a slow or absent dependency into a fast answer: the database's driver
 * timeouts, the concurrency limit on database-bound routes, and the shutdown deadline.
 */
export interface RuntimeLimits {
  /** Server selection timeout of the database driver, twice that to connect (DATABASE_TIMEOUT_MS, 800). */
  readonly databaseTimeoutMs: number;
  /** A database operation's socket may stay silent this long before it fails (DATABASE_SOCKET_TIMEOUT_MS, 30000). */
  readonly databaseSocketTimeoutMs: number;
  /** Database-bound requests handled at once (MAX_CONCURRENT_REQUESTS, 16); 0 = no limit. */
  readonly maxConcurrentRequests: number;
  /** Requests waiting for a slot beyond that (MAX_QUEUED_REQUESTS, 32); the rest answer 503 `overloaded`. */
  readonly maxQueuedRequests: number;
  /** A queued request that got no slot within this answers 503 `overloaded` (MAX_QUEUE_WAIT_MS, 1000). */
  readonly maxQueueWaitMs: number;
  /**
   * Writes (any method but GET and HEAD) one instance accepts per second (MAX_WRITES_PER_SECOND,
   * 0 = no bound); beyond, 503 `overloaded` at once. Size it below what the instance's database
   * can write on its machine, so an overload leaves room for fast refusals (docs/failure-model.md).
   */
  readonly maxWritesPerSecond: number;
  /** SIGTERM/SIGINT: the app closes within this, then exits anyway (SHUTDOWN_TIMEOUT_MS, 8000). */
  readonly shutdownTimeoutMs: number;
  /** The edge: requests forwarded to one upstream instance at once (UPSTREAM_MAX_IN_FLIGHT, 16; 0 = no limit); beyond, a short queue, then 503 `overloaded`. */
  readonly upstreamMaxInFlight: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** The shortest operator token accepted (32 characters, at least 192 bits from base64). */
export const OPERATOR_TOKEN_MIN_LENGTH = 32;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads a service's configuration from the environment, reporting every problem at once.
 * Required: KAFKA_BROKERS (comma-separated host:port), MONGODB_URI.
 * Optional: HOST (127.0.0.1), PORT (the service's default), MONGODB_DATABASE (keyward_<service>),
 * KAFKA_CLIENT_ID (keyward-<service>), KAFKA_TOPIC_PREFIX (none), BODY_LIMIT_BYTES (65536),
 * LOG_LEVEL (info), LOG_FORMAT (json), TRUSTED_PROXIES (none), KEY_PROJECTION_GROUP_ID, KEY_PROJECTION_MAX_STALENESS_MS, KEY_EXPIRY_SWEEP_MS (1000),
 * OPERATOR_TOKENS (none), EDGE_SIGNING_SECRET (required), EDGE_SIGNATURE_WINDOW_MS, AUTH_FAILURE_LIMIT, AUTH_FAILURE_WINDOW_MS,
 * CLIENT_BODY_TIMEOUT_MS, INSTANCE_ID (`<hostname>-<port>`), RELAY_LEASE_TTL_MS; for the edge KEYS_URL, SESSIONS_URL,
 * TICKETS_URL, TECHNICIANS_URL, DEVICES_URL (lists), UPSTREAM_TIMEOUT_MS, UPSTREAM_SLOW_ANSWER_MS, UPSTREAM_MAX_IN_FLIGHT, UPSTREAM_MAX_QUEUED,
 * UPSTREAM_MAX_QUEUE_WAIT_MS, UPSTREAM_HEALTH_INTERVAL_MS, UPSTREAM_EJECT_MS, RATE_LIMIT_EDGES, CORS_PRIVATE_ROUTES,
 * USAGE_FLUSH_INTERVAL_MS (10000).
 */
export function loadServiceConfig(service: ServiceName, env: Env = process.env, hostname: string = osHostname()): ServiceConfig {
  const problems: string[] = [];
  const brokers = (env['KAFKA_BROKERS'] ?? '').split(',').map((b) => b.trim()).filter(Boolean);
  if (brokers.length === 0) problems.push('KAFKA_BROKERS is required (for example 127.0.0.1:9092)');
  for (const b of brokers) if (!/^[^:\s]+:\d{1,5}$/.test(b)) problems.push(`KAFKA_BROKERS entry "${b}" is not host:port`);
  const mongodbUri = env['MONGODB_URI'] ?? '';
  if (!/^mongodb(\+srv)?:\/\//.test(mongodbUri)) problems.push('MONGODB_URI is required (for example mongodb://127.0.0.1:27017/)');
  const port = intFrom(env, 'PORT', SERVICES[service].port, 0, 65535, problems);
  const bodyLimitBytes = intFrom(env, 'BODY_LIMIT_BYTES', 64 * 1024, 1024, 64 * 1024 * 1024, problems);
  const logLevel = env['LOG_LEVEL'] ?? 'info';
  if (!isLogLevel(logLevel)) problems.push(`LOG_LEVEL must be debug, info, warn or error, not "${logLevel}"`);
  // Structured logs (observability): JSON unless a person asks for pino-pretty's lines.
  const logFormat = env['LOG_FORMAT'] || 'json';
  if (logFormat !== 'json' && logFormat !== 'pretty') problems.push(`LOG_FORMAT must be json or pretty, not "${logFormat}"`);
  const mongodbDatabase = env['MONGODB_DATABASE'] ?? `keyward_${service}`;
  if (!/^[A-Za-z0-9_-]{1,63}$/.test(mongodbDatabase)) problems.push(`MONGODB_DATABASE "${mongodbDatabase}" is not a valid database name`);
  const limits: RuntimeLimits = {
    databaseTimeoutMs: intFrom(env, 'DATABASE_TIMEOUT_MS', 800, 100, 60_000, problems),
    databaseSocketTimeoutMs: intFrom(env, 'DATABASE_SOCKET_TIMEOUT_MS', 30_000, 1000, 600_000, problems),
    maxConcurrentRequests: intFrom(env, 'MAX_CONCURRENT_REQUESTS', 16, 0, 10_000, problems),
    maxQueuedRequests: intFrom(env, 'MAX_QUEUED_REQUESTS', 32, 0, 100_000, problems),
    maxQueueWaitMs: intFrom(env, 'MAX_QUEUE_WAIT_MS', 1000, 1, 60_000, problems),
    maxWritesPerSecond: intFrom(env, 'MAX_WRITES_PER_SECOND', 0, 0, 1_000_000, problems),
    shutdownTimeoutMs: intFrom(env, 'SHUTDOWN_TIMEOUT_MS', 8000, 100, 60_000, problems),
    upstreamMaxInFlight: intFrom(env, 'UPSTREAM_MAX_IN_FLIGHT', 16, 0, 100_000, problems),
  };
  // 30 s: how long a revoked key may keep working when the key projection cannot confirm it is
  // current (healthy propagation is ~150 ms; a supervised restart takes <= 10 s). docs/consumers.md.
  const maxStaleness = intFrom(env, 'KEY_PROJECTION_MAX_STALENESS_MS', 30_000, 0, 24 * 60 * 60 * 1000, problems);
  const keyExpirySweepMs = intFrom(env, 'KEY_EXPIRY_SWEEP_MS', 1000, 50, 3_600_000, problems);
  const topicPrefix = env['KAFKA_TOPIC_PREFIX'] ?? '';
  if (!/^[A-Za-z0-9._-]{0,100}$/.test(topicPrefix)) problems.push(`KAFKA_TOPIC_PREFIX "${topicPrefix}" may hold only letters, digits, '.', '_' and '-'`);
  // Operator tokens: long enough not to be guessed, and only characters a Bearer header carries
  // unchanged (no space, no comma: the list separator). The values never appear in a problem.
  const operatorTokens = (env['OPERATOR_TOKENS'] ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  operatorTokens.forEach((t, i) => {
    if (t.length < OPERATOR_TOKEN_MIN_LENGTH || !/^[\x21-\x7e]+$/.test(t)) {
      problems.push(`OPERATOR_TOKENS entry ${i + 1} must be at least ${OPERATOR_TOKEN_MIN_LENGTH} printable ASCII characters without spaces (for example: openssl rand -base64 33)`);
    }
  });
  // Rebuilds (docs/rebuilds.md): long enough for a full rebuild of millions of events on a small box.
  const rebuildTimeoutMs = intFrom(env, 'REBUILD_TIMEOUT_MS', 30 * 60 * 1000, 1000, 24 * 60 * 60 * 1000, problems);
  // Edge-to-service trust and the auth-failure throttle (edge-trust).
  const edgeSigningSecret = env['EDGE_SIGNING_SECRET'] ?? '';
  if (edgeSigningSecret.length < 32) {
    problems.push('EDGE_SIGNING_SECRET is required: at least 32 characters, the same for the edge and every service (for example `openssl rand -base64 32`)');
  }
  const edgeSignatureWindowMs = intFrom(env, 'EDGE_SIGNATURE_WINDOW_MS', 30_000, 1_000, 10 * 60 * 1000, problems);
  const authFailureLimit = intFrom(env, 'AUTH_FAILURE_LIMIT', 20, 1, 1_000_000, problems);
  const authFailureWindowMs = intFrom(env, 'AUTH_FAILURE_WINDOW_MS', 60_000, 1, 24 * 60 * 60 * 1000, problems);
  const clientBodyTimeoutMs = intFrom(env, 'CLIENT_BODY_TIMEOUT_MS', 10_000, 100, 10 * 60 * 1000, problems);
  // The edge's upstreams (edge-upstreams, docs/edge-balancing.md): <SERVICE>_URL lists and the
  // per-instance bounds. The queue wait is short on purpose: a refusal must come in milliseconds.
  const upstreamTimeoutMs = intFrom(env, 'UPSTREAM_TIMEOUT_MS', 10_000, 100, 10 * 60 * 1000, problems);
  const edgeUpstreams: EdgeUpstreamsConfig = {
    targets: parseUpstreamTargets(env, problems),
    timeoutMs: upstreamTimeoutMs,
    slowAnswerMs: intFrom(env, 'UPSTREAM_SLOW_ANSWER_MS', Math.floor(upstreamTimeoutMs / 4), 10, upstreamTimeoutMs, problems),
    maxQueued: intFrom(env, 'UPSTREAM_MAX_QUEUED', 32, 0, 100_000, problems),
    maxQueueWaitMs: intFrom(env, 'UPSTREAM_MAX_QUEUE_WAIT_MS', 50, 1, 60_000, problems),
    healthIntervalMs: intFrom(env, 'UPSTREAM_HEALTH_INTERVAL_MS', 1000, 100, 60_000, problems),
    ejectMs: intFrom(env, 'UPSTREAM_EJECT_MS', 1000, 10, 60_000, problems),
  };
  // Scale-out (docs/scaling.md): the id goes into consumer-group names, document _ids and metric
  // labels, so it is held to characters all of them take unchanged.
  const instanceId = env['INSTANCE_ID'] || defaultInstanceId(hostname, port);
  if (!INSTANCE_ID_PATTERN.test(instanceId)) problems.push(`INSTANCE_ID "${instanceId}" may hold only 1 to 100 letters, digits, '.', '_' and '-'`);
  const relayLeaseTtlMs = intFrom(env, 'RELAY_LEASE_TTL_MS', 10_000, 1_000, 10 * 60 * 1000, problems);
  // Browser keys and per-key rate limits (browser-keys).
  const rateLimitEdges = intFrom(env, 'RATE_LIMIT_EDGES', 1, 1, 1000, problems);
  const corsPrivate = (env['CORS_PRIVATE_ROUTES'] ?? 'false').toLowerCase();
  if (corsPrivate !== 'true' && corsPrivate !== 'false') problems.push(`CORS_PRIVATE_ROUTES must be true or false, not "${corsPrivate}"`);
  // Projection snapshots (snapshots): a restart loads the snapshot and reads only what is newer.
  const projectionSnapshotDir = env['PROJECTION_SNAPSHOT_DIR'] ?? join(tmpdir(), 'keyward-state');
  const projectionSnapshotIntervalMs = intFrom(env, 'PROJECTION_SNAPSHOT_INTERVAL_MS', 60_000, 0, 24 * 60 * 60 * 1000, problems);
  // Usage (docs/usage.md): short enough that /usage is current within seconds, long enough that a
  // busy key costs one small message per interval and instance.
  const usageFlushIntervalMs = intFrom(env, 'USAGE_FLUSH_INTERVAL_MS', 10_000, 50, 60_000, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    service,
    host: env['HOST'] ?? '127.0.0.1',
    port,
    kafkaBrokers: brokers,
    kafkaClientId: env['KAFKA_CLIENT_ID'] ?? `keyward-${service}`,
    topicPrefix,
    mongodbUri,
    mongodbDatabase,
    bodyLimitBytes,
    logLevel: logLevel as ServiceConfig['logLevel'],
    logFormat: logFormat === 'pretty' ? 'pretty' : 'json',
    limits: Object.freeze(limits),
    trustedProxies: env['TRUSTED_PROXIES'] ?? '',
    keyProjectionGroupId: env['KEY_PROJECTION_GROUP_ID'] ?? `${topicPrefix}keyward-${service}-key-projection`,
    keyProjectionMaxStalenessMs: maxStaleness,
    keyExpirySweepMs,
    operatorTokens: Object.freeze(operatorTokens),
    rebuildTimeoutMs,
    edgeSigningSecret,
    edgeSignatureWindowMs,
    authFailureLimit,
    authFailureWindowMs,
    clientBodyTimeoutMs,
    edgeUpstreams: Object.freeze({ ...edgeUpstreams, targets: Object.freeze(edgeUpstreams.targets) }),
    instanceId,
    relayLeaseTtlMs,
    rateLimitEdges,
    corsPrivateRoutes: corsPrivate === 'true',
    projectionSnapshotDir,
    projectionSnapshotIntervalMs,
    usageFlushIntervalMs,
  });
}

const INSTANCE_ID_PATTERN = /^[A-Za-z0-9._-]{1,100}$/;

/** `<hostname>-<port>`: distinct for instances on one host (each its own port), stable across restarts. */
function defaultInstanceId(hostname: string, port: number): string {
  const host = hostname.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 80) || 'host';
  // Port 0 (an ephemeral port) names no stable instance; the process id at least keeps two apart.
  return port === 0 ? `${host}-pid${process.pid}` : `${host}-${port}`;
}

function isLogLevel(v: string): v is ServiceConfig['logLevel'] {
  return v === 'debug' || v === 'info' || v === 'warn' || v === 'error';
}

function intFrom(env: Env, name: string, fallback: number, min: number, max: number, problems: string[]): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    problems.push(`${name} must be an integer from ${min} to ${max}, not "${raw}"`);
    return fallback;
  }
  return n;
}

/** The name of a topic as this service sees it: the configured prefix, then the contract's name. */
export function topicName(config: Pick<ServiceConfig, 'topicPrefix'>, topic: string): string {
  return config.topicPrefix + topic;
}
