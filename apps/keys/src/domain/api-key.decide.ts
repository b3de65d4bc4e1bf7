import { addOneYear, sameRateLimit } from '@keyward/contracts';
import type { KeyEvent } from '@keyward/contracts';
import type {
  ApiKeyCommand,
  ChangeAllowedIps,
  ChangeAllowedOrigins,
  ChangeExpiry,
  ChangePermissions,
  ChangeRateLimit,
  CreateKey,
  DisableKey,
  EnableKey,
  RevokeKey,
  RotateKey,
} from './api-key.commands';
import { assertCanGrant, assertCanReach } from './api-key.authority';
import type { ApiKeyAggregate, ApiKeyState } from './api-key.state';
import {
  assertKind,
  assertSecretFields,
  checkGracePeriod,
  checkNewExpiry,
  normaliseAllowedIps,
  normaliseAllowedOrigins,
  normaliseName,
  normalisePermissions,
  normaliseRateLimit,
  normaliseReason,
  sameSet,
} from './api-key.rules';
import { KeyRuleViolation } from './key-rule-violation';

/**
 * Decides what a command means for a key: the events to record (`[]` when it changes nothing),
 * or a `KeyRuleViolation`. Pure: the clock is `now`, the secret stays with the caller. A command
 * on an existing key from a caller weaker than the key is refused before anything else
 * (`permission_escalation`), even one that would change nothing.
 */
export function decide(command: ApiKeyCommand, state: ApiKeyAggregate, now: Date): KeyEvent[] {
  if (Number.isNaN(now.getTime())) throw new Error('decide needs a valid `now`');
  if (command.type === 'CreateKey') return createKey(command, state, now);
  if (state === null) {
    throw new KeyRuleViolation('key_not_found', 'no such key');
  }
  if (command.type !== 'ExpireKey') assertCanReach(command.data.callerPermissions, state);
  switch (command.type) {
    case 'DisableKey':
      return disableKey(command, state);
    case 'EnableKey':
      return enableKey(command, state, now);
    case 'ChangeExpiry':
      return changeExpiry(command, state, now);
    case 'ChangePermissions':
      return changePermissions(command, state);
    case 'ChangeAllowedIps':
      return changeAllowedIps(command, state);
    case 'ChangeAllowedOrigins':
      return changeAllowedOrigins(command, state);
    case 'ChangeRateLimit':
      return changeRateLimit(command, state);
    case 'RotateKey':
      return rotateKey(command, state, now);
    case 'RevokeKey':
      return revokeKey(command, state);
    case 'ExpireKey':
      return expireKey(state, now);
    default: {
      const unknown: never = command;
      throw new Error(`unhandled key command ${(unknown as { type: string }).type}`);
    }
  }
}

/** The recorded status can lag: a key is expired from the instant its `expiresAt` passes. */
function hasExpired(state: ApiKeyState, now: Date): boolean {
  return state.status === 'expired' || Date.parse(state.expiresAt) <= now.getTime();
}

function refuseIfRevoked(state: ApiKeyState): void {
  if (state.status === 'revoked') {
    throw new KeyRuleViolation('key_revoked', 'the key is revoked; a revoked key cannot be changed or used again');
  }
}

function createKey(command: CreateKey, state: ApiKeyAggregate, now: Date): KeyEvent[] {
  const c = command.data;
  if (state !== null) throw new KeyRuleViolation('key_exists', `key ${c.keyId} already exists`);
  assertCanGrant(c.callerPermissions, c.permissions);
  assertKind(c.kind);
  const name = normaliseName(c.name);
  const permissions = normalisePermissions(c.kind, c.permissions);
  const allowedIps = normaliseAllowedIps(c.allowedIps);
  const allowedOrigins = normaliseAllowedOrigins(c.allowedOrigins ?? []);
  const rateLimit = normaliseRateLimit(c.kind, c.rateLimit);
  const expiresAt = c.expiresAt === undefined ? addOneYear(now).toISOString() : checkNewExpiry(c.expiresAt, now);
  assertSecretFields(c.kind, c.secretHash, c.tokenPrefix);
  return [
    {
      type: 'KeyCreated',
      schemaVersion: 2,
      data: {
        kind: c.kind,
        name,
        permissions,
        allowedIps,
        allowedOrigins,
        rateLimit,
        expiresAt,
        createdBy: c.by,
        secretHash: c.secretHash,
        tokenPrefix: c.tokenPrefix,
      },
    },
  ];
}

function disableKey(command: DisableKey, state: ApiKeyState): KeyEvent[] {
  refuseIfRevoked(state);
  const reason = normaliseReason(command.data.reason);
  if (state.status === 'disabled') return [];
  return [
    {
      type: 'KeyDisabled',
      schemaVersion: 1,
      data: reason === undefined ? { by: command.data.by } : { by: command.data.by, reason },
    },
  ];
}

function enableKey(command: EnableKey, state: ApiKeyState, now: Date): KeyEvent[] {
  refuseIfRevoked(state);
  const given = command.data.expiresAt;
  // Enabling an active key is a mistake the caller should hear about (409), whatever the body:
  // a silent 200 read as "it was disabled and now works". Moving its expiry is change expiry.
  if (state.status === 'active' && !hasExpired(state, now)) {
    throw new KeyRuleViolation('key_already_active', 'the key is already active; use change expiry to move its expiry');
  }
  let expiresAt: string;
  if (given !== undefined) {
    expiresAt = checkNewExpiry(given, now);
  } else if (Date.parse(state.expiresAt) > now.getTime()) {
    expiresAt = state.expiresAt;
  } else {
    throw new KeyRuleViolation('expiry_required', "the key's expiry has passed; give a new expiresAt");
  }
  return [{ type: 'KeyEnabled', schemaVersion: 1, data: { by: command.data.by, expiresAt } }];
}

function changeExpiry(command: ChangeExpiry, state: ApiKeyState, now: Date): KeyEvent[] {
  refuseIfRevoked(state);
  const expiresAt = checkNewExpiry(command.data.expiresAt, now);
  if (expiresAt === state.expiresAt) return [];
  // Changing the expiry never changes the status: an expired key stays expired until it is
  // enabled. So an expiry that has passed but is not recorded yet is recorded first; otherwise
  // moving it into the future would silently bring an expired key back to life.
  return [
    ...expireKey(state, now),
    { type: 'KeyExpiryChanged', schemaVersion: 1, data: { by: command.data.by, expiresAt } },
  ];
}

function changePermissions(command: ChangePermissions, state: ApiKeyState): KeyEvent[] {
  refuseIfRevoked(state);
  assertCanGrant(command.data.callerPermissions, command.data.permissions);
  const permissions = normalisePermissions(state.kind, command.data.permissions);
  if (sameSet(permissions, state.permissions)) return [];
  return [{ type: 'KeyPermissionsChanged', schemaVersion: 1, data: { by: command.data.by, permissions } }];
}

function changeAllowedIps(command: ChangeAllowedIps, state: ApiKeyState): KeyEvent[] {
  refuseIfRevoked(state);
  const allowedIps = normaliseAllowedIps(command.data.allowedIps);
  if (sameSet(allowedIps, state.allowedIps)) return [];
  return [{ type: 'KeyAllowedIpsChanged', schemaVersion: 1, data: { by: command.data.by, allowedIps } }];
}

function changeAllowedOrigins(command: ChangeAllowedOrigins, state: ApiKeyState): KeyEvent[] {
  refuseIfRevoked(state);
  const allowedOrigins = normaliseAllowedOrigins(command.data.allowedOrigins);
  if (sameSet(allowedOrigins, state.allowedOrigins)) return [];
  return [{ type: 'KeyAllowedOriginsChanged', schemaVersion: 1, data: { by: command.data.by, allowedOrigins } }];
}

function changeRateLimit(command: ChangeRateLimit, state: ApiKeyState): KeyEvent[] {
  refuseIfRevoked(state);
  const rateLimit = normaliseRateLimit(state.kind, command.data.rateLimit);
  if (sameRateLimit(rateLimit, state.rateLimit)) return [];
  return [{ type: 'KeyRateLimitChanged', schemaVersion: 1, data: { by: command.data.by, rateLimit } }];
}

function rotateKey(command: RotateKey, state: ApiKeyState, now: Date): KeyEvent[] {
  refuseIfRevoked(state);
  if (hasExpired(state, now)) {
    throw new KeyRuleViolation('key_expired', 'the key has expired; enable it with a new expiry before rotating');
  }
  const c = command.data;
  const grace = checkGracePeriod(c.gracePeriodSeconds);
  assertSecretFields(state.kind, c.secretHash, c.tokenPrefix);
  // Only one previous secret is kept: whatever an earlier rotation left in grace stops now.
  return [
    {
      type: 'KeyRotated',
      schemaVersion: 1,
      data: {
        by: c.by,
        secretHash: c.secretHash,
        tokenPrefix: c.tokenPrefix,
        previousSecretHash: state.secretHash,
        graceUntil: new Date(now.getTime() + grace * 1000).toISOString(),
      },
    },
  ];
}

function revokeKey(command: RevokeKey, state: ApiKeyState): KeyEvent[] {
  const reason = normaliseReason(command.data.reason);
  if (state.status === 'revoked') return [];
  return [
    {
      type: 'KeyRevoked',
      schemaVersion: 1,
      data: reason === undefined ? { by: command.data.by } : { by: command.data.by, reason },
    },
  ];
}

/** Idempotent: records the expiry once it has passed, and nothing if recorded or not due. */
function expireKey(state: ApiKeyState, now: Date): KeyEvent[] {
  if ((state.status === 'active' || state.status === 'disabled') && Date.parse(state.expiresAt) <= now.getTime()) {
    return [{ type: 'KeyExpired', schemaVersion: 1, data: { expiredAt: state.expiresAt } }];
  }
  return [];
}
