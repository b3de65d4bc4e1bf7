import type { AuthOutcome, AuthRequest } from '../authorize/auth-outcome';

/** The key a usage count belongs to. */
export interface UsageSubject {
  readonly keyId: string;
  readonly accountId: string;
}

/**
 * Refusals of a key that exists (its secret matched): they are usage of that key. A missing,
 * malformed or unknown key belongs to no key and is counted only in the metrics.
 */
const KEY_REFUSALS: ReadonlySet<string> = new Set([
  'key_disabled', 'key_expired', 'key_revoked', 'ip_not_allowed', 'permission_denied', 'public_key_not_allowed',
  'origin_not_allowed', 'rate_limited',
]);

/**
 * Whose usage the outcome of `authorize(index, request)` is. A success names its key; a refusal of a
 * known key does not (authorize's refusals are prebuilt and shared), so it is the entry authorize's
 * lookup found (`request.found`): every such refusal comes after that lookup, and nothing is hashed
 * or looked up again.
 */
export function usageSubjectOf(request: AuthRequest, outcome: AuthOutcome): UsageSubject | undefined {
  if (outcome.ok) return outcome.key;
  if (!KEY_REFUSALS.has(outcome.code)) return undefined;
  const key = request.found;
  return key === undefined ? undefined : { keyId: key.id, accountId: key.profile.accountId };
}
