export interface KeyAuthOptions {
  /** Consumer group of this service's key projection (one per service). */
  readonly groupId: string;
  /** Addresses/CIDRs of proxies whose X-Forwarded-For is believed (the edge); empty: none. */
  readonly trustedProxies: string | undefined;
  /**
   * After this long without a confirmed fetch from the broker, the guard answers 503 instead of
   * trusting a cache that may have missed a revocation. 0 turns the bound off.
   */
  readonly maxStalenessMs: number;
}

export const KEY_AUTH_OPTIONS = Symbol('KeyAuthOptions');

export function keyAuthOptionsFromEnv(service: string, topicPrefix = '', env: Readonly<Record<string, string | undefined>> = process.env): KeyAuthOptions {
  const staleness = Number(env['KEY_PROJECTION_MAX_STALENESS_MS'] ?? 5 * 60 * 1000);
  if (!Number.isInteger(staleness) || staleness < 0) throw new Error('KEY_PROJECTION_MAX_STALENESS_MS must be a whole number of milliseconds (0 = no bound)');
  return {
    groupId: env['KEY_PROJECTION_GROUP_ID'] ?? `${topicPrefix}keyward-${service}-key-projection`,
    trustedProxies: env['TRUSTED_PROXIES'],
    maxStalenessMs: staleness,
  };
}
