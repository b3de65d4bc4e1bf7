import { knownPermissions } from '@keyward/contracts';
import { assertStreamStart, assertStreamStarted, effectiveRateLimit, unhandledEvent } from '@keyward/contracts';
import type { Actor, KeyEventEnvelope, KeyKind, KeyRateLimit, KeyStatus, Permission } from '@keyward/contracts';

/** The ApiKey aggregate as folded from its events. `null` until `KeyCreated`. */
export interface ApiKeyState {
  readonly id: string;
  readonly accountId: string;
  readonly kind: KeyKind;
  readonly name: string;
  /** Sorted, without duplicates. */
  readonly permissions: readonly Permission[];
  /** Canonical addresses and CIDR ranges; empty means any address. */
  readonly allowedIps: readonly string[];
  /** Canonical web origins the key may be used from; empty means any (no browser use). */
  readonly allowedOrigins: readonly string[];
  /** null: no limit. */
  readonly rateLimit: KeyRateLimit | null;
  /** ISO-8601 UTC. */
  readonly expiresAt: string;
  /**
   * The recorded status. A key whose `expiresAt` has passed no longer works even while this still
   * says `active` (until `KeyExpired` is recorded): always compare `expiresAt` with the clock too.
   */
  readonly status: KeyStatus;
  readonly createdAt: string;
  readonly createdBy: Actor;
  /** SHA-256 (hex) of the current token. */
  readonly secretHash: string;
  readonly tokenPrefix: string;
  /** SHA-256 of the token replaced by the last rotation; it works until `graceUntil`. */
  readonly previousSecretHash?: string;
  readonly graceUntil?: string;
  readonly lastRotatedAt?: string;
  /** Number of events applied: the expected version for the next append. */
  readonly version: number;
}

export type ApiKeyAggregate = ApiKeyState | null;

export function initialState(): ApiKeyAggregate {
  return null;
}

/**
 * Applies one stored event. A stream that breaks the aggregate's own rules (an event before
 * `KeyCreated`, a second `KeyCreated`) is corrupt, so it throws rather than guessing.
 */
export function evolve(state: ApiKeyAggregate, event: KeyEventEnvelope): ApiKeyState {
  if (event.type === 'KeyCreated') {
    assertStreamStart(state, event, 'key');
    const data = event.data;
    return {
      id: event.aggregateId,
      accountId: event.accountId,
      kind: data.kind,
      name: data.name,
      // Permissions the catalog has retired since the event was written are dropped.
      permissions: knownPermissions(data.permissions),
      allowedIps: data.allowedIps,
      allowedOrigins: data.allowedOrigins ?? [],
      rateLimit: effectiveRateLimit(data.kind, data.rateLimit),
      expiresAt: data.expiresAt,
      status: 'active',
      createdAt: event.occurredAt,
      createdBy: data.createdBy,
      secretHash: data.secretHash,
      tokenPrefix: data.tokenPrefix,
      version: 1,
    };
  }
  assertStreamStarted(state, event, 'key');
  const version = state.version + 1;
  switch (event.type) {
    case 'KeyDisabled':
      return { ...state, status: 'disabled', version };
    case 'KeyEnabled':
      return { ...state, status: 'active', expiresAt: event.data.expiresAt, version };
    case 'KeyExpired':
      return { ...state, status: 'expired', version };
    case 'KeyRevoked':
      return { ...state, status: 'revoked', version };
    case 'KeyExpiryChanged':
      return { ...state, expiresAt: event.data.expiresAt, version };
    case 'KeyPermissionsChanged':
      return { ...state, permissions: knownPermissions(event.data.permissions), version };
    case 'KeyAllowedIpsChanged':
      return { ...state, allowedIps: event.data.allowedIps, version };
    case 'KeyAllowedOriginsChanged':
      return { ...state, allowedOrigins: event.data.allowedOrigins, version };
    case 'KeyRateLimitChanged':
      return { ...state, rateLimit: event.data.rateLimit, version };
    case 'KeyRotated':
      return {
        ...state,
        secretHash: event.data.secretHash,
        tokenPrefix: event.data.tokenPrefix,
        previousSecretHash: event.data.previousSecretHash,
        graceUntil: event.data.graceUntil,
        lastRotatedAt: event.occurredAt,
        version,
      };
    default:
      return unhandledEvent('key', event);
  }
}

/** Folds a key's whole stream, in version order, into its state. */
export function foldKeyEvents(events: Iterable<KeyEventEnvelope>): ApiKeyAggregate {
  let state = initialState();
  for (const event of events) state = evolve(state, event);
  return state;
}
