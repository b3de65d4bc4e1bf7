import { tokenDigest } from '@keyward/contracts';
import type { AuthOutcome } from '../authorize/auth-outcome';
import type { KeyIndex } from '../projection/key-index';

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
 * Whose usage an authorization outcome is. A success names its key; a refusal of a known key does
 * not (authorize's refusals are prebuilt and shared), so the key is looked up again by the token's
 * digest here, at the call site: only for those refusals, never for a success, and never inside
 * authorize(), whose hot path stays as it is.
 */
export function usageSubjectOf(index: KeyIndex, token: string | undefined, outcome: AuthOutcome, nowMs: number): UsageSubject | undefined {
  if (outcome.ok) return outcome.key;
  if (token === undefined || !KEY_REFUSALS.has(outcome.code)) return undefined;
  const key = index.findByDigest(tokenDigest(token), nowMs);
  return key === undefined ? undefined : { keyId: key.id, accountId: key.profile.accountId };
}
