import { effectiveRateLimit } from '@keyward/contracts';
import type { KeyKind, KeyRateLimit, KeyStatus, Permission } from '@keyward/contracts';
import { ROTATION_PERIOD_DAYS_DEFAULT, rotationDue } from '../domain';
import type { KeyView } from './key.view';

/** A key as the API shows it. Never a secret, never a secret's hash. */
export interface KeyDto {
  id: string;
  accountId: string;
  kind: KeyKind;
  name: string;
  permissions: Permission[];
  allowedIps: string[];
  /** Web origins the key may be used from; [] = any, and no browser use (docs/browser-keys.md). */
  allowedOrigins: string[];
  /** The limit the edge enforces for this key; null = none. */
  rateLimit: KeyRateLimit | null;
  expiresAt: string;
  /** Effective status: `expired` as soon as `expiresAt` has passed. */
  status: KeyStatus;
  createdAt: string;
  createdBy: string;
  /** The first characters of the token, to recognise it (`kw_sk_AbC123`). */
  tokenPrefix: string;
  lastRotatedAt: string | null;
  /** Until when the secret replaced by the last rotation keeps working, if it still does. */
  previousSecretValidUntil: string | null;
  /** A private key whose current secret is older than the rotation period. */
  rotationDue: boolean;
  version: number;
  /**
   * The last request made with this key that was counted (whatever its outcome), its operation
   * (route id) and client address; null until the key is first used. Usage reaches the keys
   * service within USAGE_FLUSH_INTERVAL_MS (docs/usage.md).
   */
  lastUsedAt: string | null;
  lastUsedOperation: string | null;
  lastUsedAddress: string | null;
}

/** A key's last use as the usage read model has it (see apps/keys/src/usage). */
export interface KeyLastUse {
  readonly at: Date;
  readonly operation: string;
  readonly address: string | null;
}

export function toKeyDto(v: KeyView, now: Date, lastUse?: KeyLastUse, rotationPeriodDays = ROTATION_PERIOD_DAYS_DEFAULT): KeyDto {
  const expired = v.status !== 'revoked' && v.status !== 'expired' && v.expiresAt.getTime() <= now.getTime();
  return {
    id: v.id,
    accountId: v.accountId,
    kind: v.kind,
    name: v.name,
    permissions: [...v.permissions],
    allowedIps: [...v.allowedIps],
    // Views written before keys had origins and limits lack the fields: none, and the kind's default.
    allowedOrigins: v.allowedOrigins ?? [],
    rateLimit: effectiveRateLimit(v.kind, v.rateLimit),
    expiresAt: v.expiresAt.toISOString(),
    status: expired ? 'expired' : v.status,
    createdAt: v.createdAt.toISOString(),
    createdBy: v.createdBy,
    tokenPrefix: v.tokenPrefix,
    lastRotatedAt: v.lastRotatedAt ? v.lastRotatedAt.toISOString() : null,
    previousSecretValidUntil: v.graceUntil && v.graceUntil.getTime() > now.getTime() ? v.graceUntil.toISOString() : null,
    rotationDue: rotationDue({
      kind: v.kind,
      status: v.status,
      createdAt: v.createdAt.toISOString(),
      ...(v.lastRotatedAt ? { lastRotatedAt: v.lastRotatedAt.toISOString() } : {}),
    }, now, rotationPeriodDays),
    version: v.version,
    lastUsedAt: lastUse ? lastUse.at.toISOString() : null,
    lastUsedOperation: lastUse?.operation ?? null,
    lastUsedAddress: lastUse?.address ?? null,
  };
}
