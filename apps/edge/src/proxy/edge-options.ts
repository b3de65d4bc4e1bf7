import type { ServiceName } from '@keyward/contracts';
import { SERVICES } from '@keyward/contracts';

/** How the edge reaches the services; from the environment. */
export interface EdgeOptions {
  /** Base URL of each service (KEYS_URL, SESSIONS_URL, ...), so each team deploys its own. */
  readonly upstreams: Readonly<Record<Exclude<ServiceName, 'edge'>, URL>>;
  /**
   * A service that has not answered within this long after the request was sent gets 504; also
   * the longest pause allowed inside its answer's body (UPSTREAM_TIMEOUT_MS, 10000).
   */
  readonly upstreamTimeoutMs: number;
}

export const EDGE_OPTIONS = Symbol('EdgeOptions');

export function edgeOptionsFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): EdgeOptions {
  const upstream = (service: Exclude<ServiceName, 'edge'>): URL => {
    const raw = env[`${service.toUpperCase()}_URL`] ?? `http://127.0.0.1:${SERVICES[service].port}`;
    try {
      const url = new URL(raw);
      if (url.protocol !== 'http:') throw new Error('only http:// is supported between the edge and services');
      return url;
    } catch (e) {
      throw new Error(`${service.toUpperCase()}_URL "${raw}" is not a usable URL: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const int = (name: string, fallback: number): number => {
    const n = Number(env[name] ?? fallback);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive whole number`);
    return n;
  };
  return {
    upstreams: { keys: upstream('keys'), sessions: upstream('sessions'), tickets: upstream('tickets'), technicians: upstream('technicians'), devices: upstream('devices') },
    upstreamTimeoutMs: int('UPSTREAM_TIMEOUT_MS', 10_000),
  };
}
