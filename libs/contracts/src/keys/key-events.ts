import type { Permission } from '../catalog/operation-catalog';
import type { DomainEventOf, EnvelopeOf } from '../events/event-map';
import type { KeyKind } from './key-token';
import type { KeyRateLimit } from './rate-limit';

/**
 * Events of the ApiKey aggregate, published on `keys.events`. None carries a secret: only the
 * SHA-256 of a token (`secretHash`) and its short display prefix. All are schemaVersion 1 but
 * KeyCreated, which is 2 since it carries `allowedOrigins` and `rateLimit` (KEY_EVENTS upcasts a v1).
 */
export type KeyStatus = 'active' | 'disabled' | 'expired' | 'revoked';

/** Who did it: the id of the key that authorized the command, or `bootstrap`. */
export type Actor = string;

export interface KeyCreatedData {
  readonly kind: KeyKind;
  readonly name: string;
  readonly permissions: readonly Permission[];
  readonly allowedIps: readonly string[];
  readonly expiresAt: string;
  readonly createdBy: Actor;
  readonly secretHash: string;
  readonly tokenPrefix: string;
  /**
   * schemaVersion 2 (always there once read through KEY_EVENTS, which upcasts a v1 to `[]` and
   * the kind's default limit); optional in the type so that code holding a v1 event still compiles
   * and reads it the same way (absent = no origin restriction, `effectiveRateLimit`).
   */
  readonly allowedOrigins?: readonly string[];
  readonly rateLimit?: KeyRateLimit | null;
}
export interface KeyDisabledData { readonly by: Actor; readonly reason?: string }
export interface KeyEnabledData { readonly by: Actor; readonly expiresAt: string }
export interface KeyExpiredData { readonly expiredAt: string }
export interface KeyRotatedData {
  readonly by: Actor;
  readonly secretHash: string;
  readonly tokenPrefix: string;
  readonly previousSecretHash: string;
  /** Until when the previous secret keeps working (equal to the rotation time for no grace). */
  readonly graceUntil: string;
}
export interface KeyExpiryChangedData { readonly by: Actor; readonly expiresAt: string }
export interface KeyPermissionsChangedData { readonly by: Actor; readonly permissions: readonly Permission[] }
export interface KeyAllowedIpsChangedData { readonly by: Actor; readonly allowedIps: readonly string[] }
export interface KeyRevokedData { readonly by: Actor; readonly reason?: string }
export interface KeyAllowedOriginsChangedData { readonly by: Actor; readonly allowedOrigins: readonly string[] }
/** `null`: no limit (private keys only). */
export interface KeyRateLimitChangedData { readonly by: Actor; readonly rateLimit: KeyRateLimit | null }

export interface KeyEventDataByType {
  KeyCreated: KeyCreatedData;
  KeyDisabled: KeyDisabledData;
  KeyEnabled: KeyEnabledData;
  KeyExpired: KeyExpiredData;
  KeyRotated: KeyRotatedData;
  KeyExpiryChanged: KeyExpiryChangedData;
  KeyPermissionsChanged: KeyPermissionsChangedData;
  KeyAllowedIpsChanged: KeyAllowedIpsChangedData;
  KeyRevoked: KeyRevokedData;
  KeyAllowedOriginsChanged: KeyAllowedOriginsChangedData;
  KeyRateLimitChanged: KeyRateLimitChangedData;
}

export type KeyEventType = keyof KeyEventDataByType;

/** The schemaVersion each key event type is written with today. */
export const KEY_EVENT_SCHEMA_VERSIONS = {
  KeyCreated: 2, KeyDisabled: 1, KeyEnabled: 1, KeyExpired: 1, KeyRotated: 1, KeyExpiryChanged: 1,
  KeyPermissionsChanged: 1, KeyAllowedIpsChanged: 1, KeyRevoked: 1, KeyAllowedOriginsChanged: 1, KeyRateLimitChanged: 1,
} as const satisfies Record<KeyEventType, number>;

/** A key event before the store gives it an envelope. */
export type KeyEvent = DomainEventOf<KeyEventDataByType, typeof KEY_EVENT_SCHEMA_VERSIONS>;

/** A stored or published key event. */
export type KeyEventEnvelope = EnvelopeOf<KeyEventDataByType>;
