import type { KeyKind, Permission } from '@keyward/contracts';
import type { IndexedKey } from '../projection/indexed-key';

export interface AuthRequest {
  token: string | undefined;
  clientIp: string | undefined;
  /** The request's `Origin` header (a browser's page), checked against the key's allowed origins. */
  origin?: string | undefined;
  permission: Permission;
  nowMs: number;
  /**
   * Set by `authorize` once the token's key is found (whatever the outcome after): for the call
   * site's CORS answer, rate-limit headers and usage counting, without a second lookup.
   */
  found?: IndexedKey | undefined;
}

export type AuthFailureCode =
  | 'missing_key'
  | 'malformed_key'
  | 'unknown_key'
  | 'key_disabled'
  | 'key_expired'
  | 'key_revoked'
  | 'ip_not_allowed'
  | 'origin_not_allowed'
  | 'rate_limited'
  | 'permission_denied'
  | 'public_key_not_allowed';

/** What a handler may use of the key that authorized a request; scope every query by `accountId`. */
export interface AuthorizedKey {
  keyId: string;
  accountId: string;
  kind: KeyKind;
  permissions: ReadonlySet<Permission>;
}

export type AuthOutcome =
  | { ok: true; key: AuthorizedKey }
  | { ok: false; status: 401 | 403 | 429; code: AuthFailureCode; detail: string };

export type AuthGranted = Extract<AuthOutcome, { ok: true }>;
export type AuthFailure = Extract<AuthOutcome, { ok: false }>;
