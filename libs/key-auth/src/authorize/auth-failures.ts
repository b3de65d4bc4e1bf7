import type { Permission } from '@keyward/contracts';
import { ALL_PERMISSIONS, isPublicSafe } from '@keyward/contracts';
import { PERMISSION_BITS } from '../projection/indexed-key';
import type { AuthFailure, AuthFailureCode } from './auth-outcome';

/**
 * Every failure `authorize` can return, built once: a refused request allocates nothing.
 * Details that name a permission are prebuilt for each permission of the catalog.
 */
function failure(status: AuthFailure['status'], code: AuthFailureCode, detail: string): AuthFailure {
  return Object.freeze({ ok: false as const, status, code, detail });
}

export const MISSING_KEY = failure(
  401,
  'missing_key',
  'No API key was sent: pass it as "Authorization: Bearer <key>" or in the X-API-Key header.',
);
export const MALFORMED_KEY = failure(401, 'malformed_key', 'The API key is not in the Keyward key format.');
export const BAD_CHECKSUM = failure(
  401,
  'malformed_key',
  'The API key checksum does not match: the key was mistyped or truncated.',
);
export const UNKNOWN_KEY = failure(401, 'unknown_key', 'The API key is not known.');
export const KEY_DISABLED = failure(401, 'key_disabled', 'The API key is disabled.');
export const KEY_REVOKED = failure(401, 'key_revoked', 'The API key has been revoked.');
export const KEY_EXPIRED = failure(401, 'key_expired', 'The API key has expired.');
export const IP_NOT_ALLOWED = failure(403, 'ip_not_allowed', 'The API key may not be used from this client address.');
export const ORIGIN_NOT_ALLOWED = failure(403, 'origin_not_allowed',
  'The API key may not be used from this web origin (the Origin header): it is restricted to its allowed origins.');
/** The limiter's headers (Retry-After, RateLimit, RateLimit-Policy) say when to come back. */
export const RATE_LIMITED = failure(429, 'rate_limited', 'The API key has used up its rate limit; retry after the Retry-After seconds.');
/** For a permission outside the catalog, which a typed caller cannot pass but JSON could. */
export const PERMISSION_UNKNOWN = failure(403, 'permission_denied', 'The operation needs a permission the key does not hold.');

/** What `authorize` needs to know of a permission, with its two refusals ready. */
export interface PermissionRule {
  /** The permission's bit in a key's permission bit set (see PERMISSION_BITS). */
  readonly bit: number;
  readonly publicSafe: boolean;
  readonly denied: AuthFailure;
  readonly publicKeyNotAllowed: AuthFailure;
}

export const PERMISSION_RULES: ReadonlyMap<Permission, PermissionRule> = new Map(
  ALL_PERMISSIONS.map((p): [Permission, PermissionRule] => [
    p,
    {
      bit: PERMISSION_BITS.get(p) ?? 0,
      publicSafe: isPublicSafe(p),
      denied: failure(403, 'permission_denied', `The API key does not hold the permission '${p}'.`),
      publicKeyNotAllowed: failure(
        403,
        'public_key_not_allowed',
        `A public API key cannot be used for '${p}'; use a private key.`,
      ),
    },
  ]),
);

/** The 429 the edge and the services answer an address past its authentication-failure allowance. */
export const TOO_MANY_AUTH_FAILURES_TITLE = 'Too many requests';
export function tooManyAuthFailuresDetail(waitSeconds: number): string {
  return `too many failed authentications from this address; retry in ${waitSeconds} s`;
}
