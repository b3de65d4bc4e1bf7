import { isIP } from 'node:net';
import type { ServiceName } from '@keyward/contracts';
import { SERVICES } from '@keyward/contracts';

/** A service the edge forwards to. */
export type UpstreamService = Exclude<ServiceName, 'edge'>;

export const UPSTREAM_SERVICE_NAMES: readonly UpstreamService[] = ['keys', 'sessions', 'tickets', 'technicians', 'devices'];

/** One entry of a `<SERVICE>_URL` list. */
export interface UpstreamTarget {
  /** `http://host:port`, what the entry names (the port made explicit). */
  readonly origin: string;
  readonly hostname: string;
  readonly port: number;
  /**
   * A DNS name (not an address literal): the edge resolves it to every address it has and treats
   * each as an instance, again at every health-check round (a compose service with replicas).
   */
  readonly resolve: boolean;
}

/**
 * How the edge reaches, bounds and balances its upstreams (docs/edge-balancing.md). Every bound
 * is per instance: one undici pool, one in-flight limit and one short queue each.
 */
export interface EdgeUpstreamsConfig {
  /** KEYS_URL, SESSIONS_URL, ...: a comma-separated list of instance URLs (default `http://127.0.0.1:<port>`). */
  readonly targets: Readonly<Record<UpstreamService, readonly UpstreamTarget[]>>;
  /** A service that has not answered within this gets 504; also the longest pause inside an answer (UPSTREAM_TIMEOUT_MS, 10000). */
  readonly timeoutMs: number;
  /**
   * An answer head slower than this shrinks the instance's in-flight limit (UPSTREAM_SLOW_ANSWER_MS,
   * a quarter of UPSTREAM_TIMEOUT_MS): the latency the edge holds an instance to under load, and so
   * how much of the machine an overload may take (docs/edge-balancing.md).
   */
  readonly slowAnswerMs: number;
  /** Requests waiting at the edge for a slot of an instance (UPSTREAM_MAX_QUEUED, 32); beyond, 503 `overloaded` at once. */
  readonly maxQueued: number;
  /** A request that got no slot within this answers 503 `overloaded` (UPSTREAM_MAX_QUEUE_WAIT_MS, 50). */
  readonly maxQueueWaitMs: number;
  /** Every instance's GET /ready is asked this often (UPSTREAM_HEALTH_INTERVAL_MS, 1000). */
  readonly healthIntervalMs: number;
  /** An instance whose connection failed is left out at least this long, doubling per failure in a row up to 30 s (UPSTREAM_EJECT_MS, 1000). */
  readonly ejectMs: number;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The longest an instance stays ejected however often it failed. */
export const UPSTREAM_MAX_EJECT_MS = 30_000;

/**
 * Parses `<SERVICE>_URL` for each upstream: one or more `http://host:port` separated by commas.
 * Only an origin is accepted (no path, query or credentials: the edge forwards the client's path
 * as it is), duplicates are refused, and each problem is added to `problems`.
 */
export function parseUpstreamTargets(env: Env, problems: string[]): Record<UpstreamService, readonly UpstreamTarget[]> {
  const targets = {} as Record<UpstreamService, readonly UpstreamTarget[]>;
  for (const service of UPSTREAM_SERVICE_NAMES) {
    const name = `${service.toUpperCase()}_URL`;
    const raw = env[name];
    const entries = raw === undefined || raw.trim() === '' ? [`http://127.0.0.1:${SERVICES[service].port}`] : raw.split(',').map((e) => e.trim());
    const list: UpstreamTarget[] = [];
    for (const entry of entries) {
      const target = parseTarget(entry);
      // Credentials in an entry are never echoed (the problem list is logged).
      if (typeof target === 'string') problems.push(`${name} entry "${entry.replace(/\/\/[^/@]*@/, '//…@')}" ${target}`);
      else if (list.some((t) => t.origin === target.origin)) problems.push(`${name} names ${target.origin} twice`);
      else list.push(target);
    }
    targets[service] = Object.freeze(list);
  }
  return targets;
}

function parseTarget(entry: string): UpstreamTarget | string {
  if (entry === '') return 'is empty (a stray comma?)';
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return 'is not a URL (for example http://10.0.0.5:3001)';
  }
  if (url.protocol !== 'http:') return 'must be http:// (the edge signs what it forwards; TLS between edge and services is not supported)';
  if (url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) {
    return 'must be only http://host:port (no path, query or credentials)';
  }
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port === '' ? 80 : Number(url.port);
  return { origin: `http://${url.host}${url.port === '' ? ':80' : ''}`, hostname, port, resolve: isIP(hostname) === 0 };
}
