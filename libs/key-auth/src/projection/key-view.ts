import type { Actor, KeyKind, KeyStatus, Permission } from '@keyward/contracts';

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
