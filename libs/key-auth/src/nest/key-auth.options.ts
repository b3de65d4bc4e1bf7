import type { ServiceConfig } from '@keyward/config';

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

/** The key guard's options, from the service's configuration. */
export function keyAuthOptionsFrom(config: ServiceConfig): KeyAuthOptions {
  return {
    groupId: config.keyProjectionGroupId,
    trustedProxies: config.trustedProxies,
    maxStalenessMs: config.keyProjectionMaxStalenessMs,
  };
}
