import type { Actor, Command, KeyKind, Permission } from '@keyward/contracts';

/**
 * Commands of the ApiKey aggregate, imperative and string-discriminated. Values arrive as the
 * caller sent them (untrusted strings for permissions, addresses and instants): `decide`
 * validates and normalises them. No command carries a secret: the handler generates the token
 * and passes only its SHA-256 (`secretHash`) and display prefix.
 *
 * Every command a key manager sends names what the sending key holds (`callerPermissions`, from
 * the key that authorized the request; the bootstrap holds the whole catalog), so `decide` can
 * refuse a manager reaching above itself (api-key.authority.ts) without any lookup.
 */
export type CreateKey = Command<'CreateKey', {
  readonly keyId: string;
  readonly accountId: string;
  readonly kind: KeyKind;
  readonly name: string;
  readonly permissions: readonly string[];
  readonly allowedIps: readonly string[];
  /** Web origins the key may be used from; absent or empty: any (no browser use, see allowed-origins.ts). */
  readonly allowedOrigins?: readonly string[];
  /** Absent: the kind's default (public keys are limited); null: no limit (private keys only). */
  readonly rateLimit?: RateLimitInput | null;
  /** ISO-8601 with a zone; defaults to one year from now. */
  readonly expiresAt?: string;
  readonly by: Actor;
  readonly callerPermissions: readonly Permission[];
  readonly secretHash: string;
  readonly tokenPrefix: string;
}>;

/** A rate limit as the caller sent it; `burst` defaults to `requests`. */
export interface RateLimitInput {
  readonly requests: number;
  readonly windowSeconds: number;
  readonly burst?: number;
}

/** Who sends a command on an existing key: recorded as `by`, judged by what it holds. */
interface Caller {
  readonly by: Actor;
  readonly callerPermissions: readonly Permission[];
}

export type DisableKey = Command<'DisableKey', Caller & { readonly reason?: string }>;

export type EnableKey = Command<'EnableKey', Caller & { readonly expiresAt?: string }>;

export type ChangeExpiry = Command<'ChangeExpiry', Caller & { readonly expiresAt: string }>;

export type ChangePermissions = Command<'ChangePermissions', Caller & {
  readonly permissions: readonly string[];
}>;

export type ChangeAllowedIps = Command<'ChangeAllowedIps', Caller & {
  readonly allowedIps: readonly string[];
}>;

export type ChangeAllowedOrigins = Command<'ChangeAllowedOrigins', Caller & {
  readonly allowedOrigins: readonly string[];
}>;
export type ChangeRateLimit = Command<'ChangeRateLimit', Caller & {
  readonly rateLimit: RateLimitInput | null;
}>;
export type RotateKey = Command<'RotateKey', Caller & {
  readonly secretHash: string;
  readonly tokenPrefix: string;
  /** How long the replaced token keeps working: an integer from 0 to 604800 (7 days). */
  readonly gracePeriodSeconds: number;
}>;

export type RevokeKey = Command<'RevokeKey', Caller & { readonly reason?: string }>;

/** Sent by the expiry scheduler; records `KeyExpired` once the key's expiry has passed. */
export type ExpireKey = Command<'ExpireKey', Readonly<Record<string, never>>>;

export type ApiKeyCommand =
  | CreateKey
  | DisableKey
  | EnableKey
  | ChangeExpiry
  | ChangePermissions
  | ChangeAllowedIps
  | ChangeAllowedOrigins
  | ChangeRateLimit
  | RotateKey
  | RevokeKey
  | ExpireKey;
