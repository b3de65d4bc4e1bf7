import type { ServiceConfig } from '@keyward/config';

export interface KeyAuthOptions {
  /** Consumer group of this service's key projection (one per service). */
  readonly groupId: string;
  /**
   * Addresses/CIDRs of proxies in front of the edge whose X-Forwarded-For the edge believes.
   * Services do not use it: they believe only what the edge signed (edgeSigningSecret).
   */
  readonly trustedProxies: string | undefined;
  /** The secret the edge signs its assertions with (EDGE_SIGNING_SECRET) and the accepted age of a signature. */
  readonly edgeSigningSecret: string;
  readonly edgeSignatureWindowMs: number;
  /** Authentication failures allowed per client address per window, then 429. */
  readonly authFailureLimit: number;
  readonly authFailureWindowMs: number;
  /**
   * Once the newest keys-relay watermark the projection has applied is older than this, the guard
   * answers 503 instead of trusting a cache that may have missed a revocation. 0 turns the bound off.
   */
  readonly maxStalenessMs: number;
}

export const KEY_AUTH_OPTIONS = Symbol('KeyAuthOptions');

/** The key guard's options, from the service's configuration. */
export function keyAuthOptionsFrom(config: ServiceConfig): KeyAuthOptions {
  return {
    groupId: config.keyProjectionGroupId,
    trustedProxies: config.trustedProxies,
    edgeSigningSecret: config.edgeSigningSecret,
    edgeSignatureWindowMs: config.edgeSignatureWindowMs,
    authFailureLimit: config.authFailureLimit,
    authFailureWindowMs: config.authFailureWindowMs,
    maxStalenessMs: config.keyProjectionMaxStalenessMs,
  };
}
