import {
  ALLOWED_ORIGINS_MAX, isPermission, isPublicSafe, KEY_KINDS, maxExpiryAt, parseOriginRule, PUBLIC_KEY_DEFAULT_RATE_LIMIT,
  PUBLIC_SAFE_PERMISSIONS, RATE_LIMIT_BOUNDS,
} from '@keyward/contracts';
import type { KeyKind, KeyRateLimit, Permission } from '@keyward/contracts';
import type { RateLimitInput } from './api-key.commands';
import { parseIpRule } from '@keyward/ip-match';
import { KeyRuleViolation } from './key-rule-violation';

/** Validation and normalisation of command values, shared by every command that takes them. */

export const NAME_MAX_LENGTH = 100;
export const REASON_MAX_LENGTH = 500;
export const ALLOWED_IPS_MAX = 100;
export const GRACE_PERIOD_MAX_SECONDS = 7 * 24 * 60 * 60;

/** Lengths count code points, so an emoji is one character as a user sees it. */
function length(text: string): number {
  return [...text].length;
}

export function assertKind(kind: unknown): asserts kind is KeyKind {
  if (!(KEY_KINDS as readonly unknown[]).includes(kind)) {
    throw new KeyRuleViolation('invalid_kind', `kind must be one of ${KEY_KINDS.join(', ')}`);
  }
}

export function normaliseName(name: unknown): string {
  const trimmed = typeof name === 'string' ? name.trim() : '';
  const n = length(trimmed);
  if (n < 1 || n > NAME_MAX_LENGTH) {
    throw new KeyRuleViolation('invalid_name', `name must be 1 to ${NAME_MAX_LENGTH} characters (after trimming)`);
  }
  return trimmed;
}

/** A reason is optional free text kept in the event forever, so it is trimmed and bounded. */
export function normaliseReason(reason: string | undefined): string | undefined {
  if (reason === undefined) return undefined;
  const trimmed = reason.trim();
  if (length(trimmed) > REASON_MAX_LENGTH) {
    throw new KeyRuleViolation('invalid_reason', `reason must be at most ${REASON_MAX_LENGTH} characters`);
  }
  return trimmed === '' ? undefined : trimmed;
}

/** Checks against the catalog and the key's kind; returns the set sorted and without duplicates. */
export function normalisePermissions(kind: KeyKind, permissions: readonly unknown[]): Permission[] {
  if (permissions.length === 0) {
    throw new KeyRuleViolation('permissions_required', 'a key needs at least one permission');
  }
  const unknown = permissions.filter((p) => !isPermission(p));
  if (unknown.length > 0) {
    const names = unknown.map((p) => JSON.stringify(p));
    throw new KeyRuleViolation('unknown_permission', `unknown permission(s): ${names.join(', ')}`, {
      permissions: unknown,
    });
  }
  const unique = [...new Set(permissions as readonly Permission[])].sort();
  if (kind === 'public') {
    const notSafe = unique.filter((p) => !isPublicSafe(p));
    if (notSafe.length > 0) {
      throw new KeyRuleViolation(
        'permission_not_public_safe',
        `a public key may hold only ${PUBLIC_SAFE_PERMISSIONS.join(', ')}; not allowed: ${notSafe.join(', ')}`,
        { permissions: notSafe },
      );
    }
  }
  return unique;
}

/** Parses every entry; returns the canonical forms, first occurrence kept, duplicates dropped. */
export function normaliseAllowedIps(allowedIps: readonly unknown[]): string[] {
  if (allowedIps.length > ALLOWED_IPS_MAX) {
    throw new KeyRuleViolation('too_many_allowed_ips', `at most ${ALLOWED_IPS_MAX} allowed IP entries`, {
      max: ALLOWED_IPS_MAX,
    });
  }
  const canonical = new Set<string>();
  for (const entry of allowedIps) {
    const rule = typeof entry === 'string' ? parseIpRule(entry.trim()) : undefined;
    if (rule === undefined) {
      throw new KeyRuleViolation('invalid_ip', `${JSON.stringify(entry)} is not an IPv4/IPv6 address or CIDR range`, {
        entry,
      });
    }
    canonical.add(rule.text);
  }
  return [...canonical];
}

/**
 * Parses every origin entry (exact origins and `https://*.example.com` wildcards, allowed-origins.ts);
 * returns the canonical forms, first occurrence kept, duplicates dropped.
 */
export function normaliseAllowedOrigins(allowedOrigins: readonly unknown[]): string[] {
  if (allowedOrigins.length > ALLOWED_ORIGINS_MAX) {
    throw new KeyRuleViolation('too_many_allowed_origins', `at most ${ALLOWED_ORIGINS_MAX} allowed origins`, { max: ALLOWED_ORIGINS_MAX });
  }
  const canonical = new Set<string>();
  for (const entry of allowedOrigins) {
    const rule = typeof entry === 'string' ? parseOriginRule(entry.trim()) : undefined;
    if (rule === undefined) {
      throw new KeyRuleViolation('invalid_origin',
        `${JSON.stringify(entry)} is not an origin: give scheme and host (and port), such as https://shop.example.com or https://*.example.com, without a path`,
        { entry });
    }
    canonical.add(rule.text);
  }
  return [...canonical];
}

/**
 * A key's rate limit: given (each number a whole number within RATE_LIMIT_BOUNDS, burst defaulting
 * to requests), absent (the kind's default: public keys are always limited) or null (no limit,
 * which only a private key may have).
 */
export function normaliseRateLimit(kind: KeyKind, input: RateLimitInput | null | undefined): KeyRateLimit | null {
  if (input === undefined) return kind === 'public' ? PUBLIC_KEY_DEFAULT_RATE_LIMIT : null;
  if (input === null) {
    if (kind === 'public') throw new KeyRuleViolation('rate_limit_required', 'a public key always has a rate limit; give requests and windowSeconds');
    return null;
  }
  const value = { requests: input.requests, windowSeconds: input.windowSeconds, burst: input.burst ?? input.requests };
  for (const field of ['requests', 'windowSeconds', 'burst'] as const) {
    const n = value[field];
    const { min, max } = RATE_LIMIT_BOUNDS[field];
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new KeyRuleViolation('invalid_rate_limit', `rateLimit.${field} must be a whole number from ${min} to ${max}`, { field, min, max });
    }
  }
  return value;
}

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parses an ISO-8601 instant with an explicit zone (`Z` or `±hh:mm`). Stricter than `Date.parse`,
 * which would roll 30 February into March and read a zone-less time as local time.
 */
export function parseInstant(text: unknown): Date | undefined {
  if (typeof text !== 'string') return undefined;
  const m = INSTANT.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [
    number, number, number, number, number,
  ];
  const second = Number(m[6] ?? '0');
  const millis = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > lastDay || hour > 23 || minute > 59 || second > 59) {
    return undefined;
  }
  let offsetMinutes = 0;
  if (m[8] === undefined) {
    const offHours = Number(m[10]);
    const offMinutes = Number(m[11]);
    if (offHours > 23 || offMinutes > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offHours * 60 + offMinutes);
  }
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, millis);
  return new Date(utc.getTime() - offsetMinutes * 60_000);
}

/**
 * A new expiry, given when creating, enabling or changing: strictly after `now` and no later
 * than one year from `now` (inclusive). Returns it as ISO-8601 UTC.
 */
export function checkNewExpiry(expiresAt: unknown, now: Date): string {
  const at = parseInstant(expiresAt);
  if (at === undefined) {
    throw new KeyRuleViolation(
      'invalid_expiry',
      'expiresAt must be an ISO-8601 instant with a zone, such as 2030-01-31T12:00:00Z',
    );
  }
  if (at.getTime() <= now.getTime()) {
    throw new KeyRuleViolation('expiry_in_past', `expiresAt must be in the future (now is ${now.toISOString()})`, {
      now: now.toISOString(),
    });
  }
  const latest = maxExpiryAt(now);
  if (at.getTime() > latest.getTime()) {
    throw new KeyRuleViolation(
      'expiry_too_far',
      `expiresAt may be at most one year ahead: the latest allowed is ${latest.toISOString()}`,
      { latest: latest.toISOString() },
    );
  }
  return at.toISOString();
}

export function checkGracePeriod(seconds: number): number {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > GRACE_PERIOD_MAX_SECONDS) {
    throw new KeyRuleViolation(
      'grace_period_out_of_range',
      `gracePeriodSeconds must be a whole number from 0 to ${GRACE_PERIOD_MAX_SECONDS} (7 days)`,
      { max: GRACE_PERIOD_MAX_SECONDS },
    );
  }
  return seconds;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const KIND_PREFIX: Record<KeyKind, string> = { public: 'kw_pk_', private: 'kw_sk_' };
const TOKEN_PREFIX_MAX_LENGTH = 16;

/**
 * Guards the one way a secret could leak into an event: a handler passing the token itself, or
 * too much of it, where its hash and display prefix belong. A programming error, not a client's,
 * so it is a plain Error (500), not a rule violation.
 */
export function assertSecretFields(kind: KeyKind, secretHash: string, tokenPrefix: string): void {
  if (!SHA256_HEX.test(secretHash)) {
    throw new Error('secretHash must be the lowercase hex SHA-256 of the token');
  }
  if (!tokenPrefix.startsWith(KIND_PREFIX[kind]) || tokenPrefix.length > TOKEN_PREFIX_MAX_LENGTH) {
    throw new Error(`tokenPrefix must be the short display prefix of a ${kind} token`);
  }
}

export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const set = new Set(a);
  return set.size === new Set(b).size && b.every((x) => set.has(x));
}
