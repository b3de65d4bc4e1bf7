import { knownPermissions } from '@keyward/contracts';
import type { KeyEventEnvelope } from '@keyward/contracts';
import type { KeyView } from './key-view';

/**
 * Folds one key event into a view. Pure; version bookkeeping (duplicates, gaps) is the caller's.
 * Returns undefined when there is nothing to fold into: an event other than KeyCreated for a key
 * never created here. Fields an event does not touch keep their identity (the same array), which
 * lets the index reuse what it precomputed from them.
 */
export function evolveKeyView(view: KeyView | undefined, event: KeyEventEnvelope): KeyView | undefined {
  const stamp = { version: event.version, updatedAt: event.occurredAt };
  // The aggregate refuses every command on a revoked key; should a later event still arrive
  // (a bug upstream, a bad replay), it must not bring the key back.
  if (view?.status === 'revoked') return { ...view, ...stamp };
  if (event.type === 'KeyCreated') {
    const d = event.data;
    return {
      id: event.aggregateId,
      accountId: event.accountId,
      kind: d.kind,
      name: d.name,
      // A permission the catalog has retired since (projections:operate) is dropped: it grants nothing.
      permissions: knownPermissions(d.permissions),
      allowedIps: [...d.allowedIps],
      ...(d.allowedOrigins !== undefined ? { allowedOrigins: [...d.allowedOrigins] } : {}),
      ...(d.rateLimit !== undefined ? { rateLimit: d.rateLimit } : {}),
      expiresAt: d.expiresAt,
      status: 'active',
      createdAt: event.occurredAt,
      createdBy: d.createdBy,
      secretHash: d.secretHash,
      tokenPrefix: d.tokenPrefix,
      ...stamp,
    };
  }
  if (view === undefined) return undefined;
  switch (event.type) {
    case 'KeyDisabled':
      return { ...view, status: 'disabled', ...stamp };
    case 'KeyEnabled':
      return { ...view, status: 'active', expiresAt: event.data.expiresAt, ...stamp };
    case 'KeyExpired':
      return { ...view, status: 'expired', ...stamp };
    case 'KeyRotated':
      return {
        ...view,
        secretHash: event.data.secretHash,
        tokenPrefix: event.data.tokenPrefix,
        previousSecretHash: event.data.previousSecretHash,
        graceUntil: event.data.graceUntil,
        lastRotatedAt: event.occurredAt,
        ...stamp,
      };
    case 'KeyExpiryChanged':
      return { ...view, expiresAt: event.data.expiresAt, ...stamp };
    case 'KeyPermissionsChanged':
      return { ...view, permissions: knownPermissions(event.data.permissions), ...stamp };
    case 'KeyAllowedIpsChanged':
      return { ...view, allowedIps: [...event.data.allowedIps], ...stamp };
    case 'KeyRevoked':
      return { ...view, status: 'revoked', ...stamp };
    case 'KeyAllowedOriginsChanged':
      return { ...view, allowedOrigins: [...event.data.allowedOrigins], ...stamp };
    case 'KeyRateLimitChanged':
      return { ...view, rateLimit: event.data.rateLimit, ...stamp };
    default: {
      // Schemas only grow: an event type newer than this code changes nothing it knows of, but
      // its version still counts, so the events after it are not mistaken for a gap.
      const _unknown: never = event;
      return { ...view, ...stamp };
    }
  }
}
