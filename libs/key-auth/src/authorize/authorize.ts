import { checkToken, tokenDigest } from '@keyward/contracts';
import type { KeyIndex } from '../projection/key-index';
import {
  BAD_CHECKSUM,
  IP_NOT_ALLOWED,
  ORIGIN_NOT_ALLOWED,
  RATE_LIMITED,
  KEY_DISABLED,
  KEY_EXPIRED,
  KEY_REVOKED,
  MALFORMED_KEY,
  MISSING_KEY,
  PERMISSION_RULES,
  PERMISSION_UNKNOWN,
  UNKNOWN_KEY,
} from './auth-failures';
import type { AuthOutcome, AuthRequest } from './auth-outcome';
import type { KeyRateLimiter } from './key-rate-limiter';

/**
 * The per-request key check (DESIGN section 2), cheapest step first, no I/O. Every outcome is a
 * prebuilt object (a key's granted outcome is made on its first success and kept): the token
 * check allocates nothing, and the only allocation is the SHA-256 digest string, which is the
 * lookup key itself (32 binary characters, see tokenDigest).
 * Account scoping is left to handlers, through `key.accountId` of the outcome.
 *
 * With a `limiter`, a key's request also takes a token from the key's bucket (in memory, after
 * the origin and before the permission, DESIGN section 2): 429 `rate_limited` when it is empty,
 * with the bucket's state left in `limiter.last` for the answer's headers.
 */
export function authorize(index: KeyIndex, req: AuthRequest, limiter?: KeyRateLimiter): AuthOutcome {
  const token = req.token;
  if (token === undefined || token.length === 0) return MISSING_KEY;

  const check = checkToken(token);
  if (!check.ok) return check.reason === 'bad_checksum' ? BAD_CHECKSUM : MALFORMED_KEY;

  const key = index.findByDigest(tokenDigest(token), req.nowMs);
  if (key === undefined) return UNKNOWN_KEY;
  const profile = key.profile;
  // The kind is spelled in the token and recorded at creation; if they disagree the stored key
  // is not trustworthy, and treating a public token as private would widen what it may do.
  if (profile.kind !== check.kind) return UNKNOWN_KEY;
  req.found = key;

  switch (key.status) {
    case 'active':
      break;
    case 'disabled':
      return KEY_DISABLED;
    case 'revoked':
      return KEY_REVOKED;
    case 'expired':
      return KEY_EXPIRED;
    default: {
      // A status this code does not know cannot be trusted to mean active.
      const _unknown: never = key.status;
      return KEY_DISABLED;
    }
  }
  // The clock decides, not only KeyExpired: the event follows the deadline, the deadline binds at once.
  if (!(req.nowMs < key.expiresAtMs)) return KEY_EXPIRED;

  const allowList = profile.allowList;
  if (!allowList.any && (req.clientIp === undefined || !allowList.allows(req.clientIp))) return IP_NOT_ALLOWED;
  // A restricted key is for the pages of its origins: a request without an Origin is not one of them.
  const originList = profile.originList;
  if (!originList.any && (req.origin === undefined || !originList.allows(req.origin))) return ORIGIN_NOT_ALLOWED;
  if (limiter !== undefined && !limiter.take(key, req.nowMs)) return RATE_LIMITED;

  const rule = PERMISSION_RULES.get(req.permission);
  if (rule === undefined) return PERMISSION_UNKNOWN;
  if (!rule.publicSafe && profile.kind === 'public') return rule.publicKeyNotAllowed;
  if ((profile.permissionBits & rule.bit) === 0) return rule.denied;
  return key.granted;
}
