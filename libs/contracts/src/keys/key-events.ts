import type { Permission } from '../catalog/operation-catalog';
import type { EventEnvelope } from '../events/event-envelope';
import type { KeyKind } from './key-token';

/**
 * Events of the ApiKey aggregate, published on `keys.events`. None carries a secret: only the
 * SHA-256 of a token (`secretHash`) and its short display prefix. All are schemaVersion 1.
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
}

export type KeyEventType = keyof KeyEventDataByType;

export const KEY_EVENT_TYPES: readonly KeyEventType[] = [
  'KeyCreated', 'KeyDisabled', 'KeyEnabled', 'KeyExpired', 'KeyRotated',
  'KeyExpiryChanged', 'KeyPermissionsChanged', 'KeyAllowedIpsChanged', 'KeyRevoked',
];

/** A key event before the store gives it an envelope. */
export type KeyEvent = {
  [T in KeyEventType]: { readonly type: T; readonly schemaVersion: 1; readonly data: KeyEventDataByType[T] };
}[KeyEventType];

/** A stored or published key event. */
export type KeyEventEnvelope = {
  [T in KeyEventType]: EventEnvelope<T, KeyEventDataByType[T]>;
}[KeyEventType];

export function isKeyEventType(type: string): type is KeyEventType {
  return (KEY_EVENT_TYPES as readonly string[]).includes(type);
}
