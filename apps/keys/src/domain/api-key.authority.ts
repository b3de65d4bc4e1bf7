import { isPermission } from '@keyward/contracts';
import type { Permission } from '@keyward/contracts';
import type { ApiKeyState } from './api-key.state';
import { KeyRuleViolation } from './key-rule-violation';

/**
 * The escalation rule: a key manager acts only on keys no stronger than its own key, and hands out
 * only what it holds. Without it a key holding `keys:manage` and little else could rotate a
 * stronger key of its account and walk away with its new secret (while the owner's old one keeps
 * working through the grace period), or disable, re-enable, extend or re-scope it.
 *
 * What a key may do to itself follows from the same rule, with no special case: it holds what it
 * holds, so it may rotate, disable, revoke, shorten or extend its own expiry (within the year),
 * change its own allowed IPs and drop its own permissions; it can never grant itself one more.
 */

/** Refuses a command on `target` unless the caller holds every permission the target holds. */
export function assertCanReach(callerPermissions: readonly Permission[], target: ApiKeyState): void {
  const held = new Set(callerPermissions);
  const beyond = target.permissions.filter((p) => !held.has(p));
  if (beyond.length > 0) {
    throw new KeyRuleViolation('permission_escalation',
      `the calling key cannot change key ${target.id}, which holds permissions the calling key does not: ${beyond.join(', ')}`,
      { keyId: target.id, permissions: beyond });
  }
}

/**
 * Refuses to grant (create a key with, or change a key to) a permission the caller lacks. Entries
 * that are not permissions are left to validation, which names them (422 unknown_permission).
 */
export function assertCanGrant(callerPermissions: readonly Permission[], permissions: readonly unknown[]): void {
  const held = new Set(callerPermissions);
  const beyond = [...new Set(permissions.filter((p): p is Permission => isPermission(p) && !held.has(p)))];
  if (beyond.length > 0) {
    throw new KeyRuleViolation('permission_escalation',
      `the calling key cannot grant permissions it does not hold: ${beyond.join(', ')}`, { permissions: beyond });
  }
}
