import type { KeyKind, KeyRateLimit, KeyStatus, Permission } from '@keyward/contracts';
import type { ApiKeyAggregate, ApiKeyState } from '../domain';

/**
 * A key as the read model (`key_views`) keeps it: never a secret, never a secret's hash. Instants
 * are Dates, as the read model has always stored them (the listing and its cursor compare them),
 * so a database written before keys moved onto the shared view store reads the same. What the API
 * answers is derived from it at read time (`toKeyDto`: effective status, rotation due, last use).
 */
export interface KeyView {
  readonly id: string;
  readonly accountId: string;
  readonly kind: KeyKind;
  readonly name: string;
  readonly permissions: Permission[];
  readonly allowedIps: string[];
  /** Absent in views written before keys had origins and limits. */
  readonly allowedOrigins?: string[];
  readonly rateLimit?: KeyRateLimit | null;
  readonly expiresAt: Date;
  readonly status: KeyStatus;
  readonly createdAt: Date;
  readonly createdBy: string;
  readonly tokenPrefix: string;
  readonly lastRotatedAt: Date | null;
  readonly graceUntil: Date | null;
  readonly version: number;
}

/** The read model's view of a folded key (none before `KeyCreated`). */
export function toKeyView(_id: string, state: ApiKeyAggregate): KeyView | undefined {
  return state === null ? undefined : keyViewOf(state);
}

/** Every field explicit (no undefined), so a view folded again on a rebuild equals the stored one. */
export function keyViewOf(s: ApiKeyState): KeyView {
  return {
    id: s.id,
    accountId: s.accountId,
    kind: s.kind,
    name: s.name,
    permissions: [...s.permissions],
    allowedIps: [...s.allowedIps],
    allowedOrigins: [...s.allowedOrigins],
    rateLimit: s.rateLimit,
    expiresAt: new Date(s.expiresAt),
    status: s.status,
    createdAt: new Date(s.createdAt),
    createdBy: s.createdBy,
    tokenPrefix: s.tokenPrefix,
    lastRotatedAt: s.lastRotatedAt ? new Date(s.lastRotatedAt) : null,
    graceUntil: s.graceUntil ? new Date(s.graceUntil) : null,
    version: s.version,
  };
}
