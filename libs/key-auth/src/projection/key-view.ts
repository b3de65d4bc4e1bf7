import type { Actor, KeyKind, KeyRateLimit, KeyStatus, Permission } from '@keyward/contracts';

/**
 * One key as the projection sees it: plain JSON, so it can be persisted as-is and loaded back.
 * Holds hashes only, never a secret.
 */
export interface KeyView {
  readonly id: string;
  readonly accountId: string;
  readonly kind: KeyKind;
  readonly name: string;
  readonly permissions: readonly Permission[];
  readonly allowedIps: readonly string[];
  /**
   * Web origins the key may be used from; absent or empty: any. Absent (like `rateLimit`) in views
   * persisted before keys had them, and for a v1 KeyCreated held in memory.
   */
  readonly allowedOrigins?: readonly string[];
  /** Absent: the kind's default (`effectiveRateLimit`); null: no limit. */
  readonly rateLimit?: KeyRateLimit | null;
  /** ISO-8601 UTC. */
  readonly expiresAt: string;
  readonly status: KeyStatus;
  readonly createdAt: string;
  readonly createdBy: Actor;
  readonly secretHash: string;
  readonly tokenPrefix: string;
  /** The secret replaced by the last rotation, accepted until `graceUntil`. */
  readonly previousSecretHash?: string;
  readonly graceUntil?: string;
  readonly lastRotatedAt?: string;
  /** The aggregate version of the last event applied. */
  readonly version: number;
  readonly updatedAt: string;
}
