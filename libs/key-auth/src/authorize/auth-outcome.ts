import type { KeyKind, Permission } from '@keyward/contracts';

export interface AuthRequest {
  token: string | undefined;
  clientIp: string | undefined;
  permission: Permission;
  nowMs: number;
}

export type AuthFailureCode =
  | 'missing_key'
  | 'malformed_key'
  | 'unknown_key'
  | 'key_disabled'
  | 'key_expired'
  | 'key_revoked'
  | 'ip_not_allowed'
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
  | { ok: false; status: 401 | 403; code: AuthFailureCode; detail: string };

export type AuthGranted = Extract<AuthOutcome, { ok: true }>;
export type AuthFailure = Extract<AuthOutcome, { ok: false }>;
