import type { KeyKind } from './key-token';

/**
 * A key's rate limit: `requests` per `windowSeconds` on average, and at most `burst` at once
 * (a token bucket of `burst` tokens refilled at requests/windowSeconds per second).
 */
export interface KeyRateLimit {
  readonly requests: number;
  readonly windowSeconds: number;
  readonly burst: number;
}

export const RATE_LIMIT_BOUNDS = {
  requests: { min: 1, max: 1_000_000 },
  windowSeconds: { min: 1, max: 86_400 },
  burst: { min: 1, max: 1_000_000 },
} as const;

/**
 * What a public key gets unless it is given another limit: 300 requests a minute (5/s on
 * average), 60 at once. A public key sits in a web page or an app, so everyone who has the page
 * shares it: this is the ceiling for all the users of one integration together, comfortably above
 * a support widget's traffic (a ticket and a session per end user), and it bounds what a copied
 * key can do. Private keys have no limit unless one is set.
 */
export const PUBLIC_KEY_DEFAULT_RATE_LIMIT: KeyRateLimit = Object.freeze({ requests: 300, windowSeconds: 60, burst: 60 });

/** The limit that applies to a key: its own, or for one recorded before keys had limits, its kind's default. */
export function effectiveRateLimit(kind: KeyKind, rateLimit: KeyRateLimit | null | undefined): KeyRateLimit | null {
  if (rateLimit !== undefined) return rateLimit;
  return kind === 'public' ? PUBLIC_KEY_DEFAULT_RATE_LIMIT : null;
}

export function sameRateLimit(a: KeyRateLimit | null, b: KeyRateLimit | null): boolean {
  if (a === null || b === null) return a === b;
  return a.requests === b.requests && a.windowSeconds === b.windowSeconds && a.burst === b.burst;
}
