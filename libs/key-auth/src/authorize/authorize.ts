import { checkToken, tokenDigest } from '@keyward/contracts';
import type { KeyIndex } from '../projection/key-index';
import {
  BAD_CHECKSUM,
  IP_NOT_ALLOWED,
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

/**
 * The per-request key check (DESIGN section 2), cheapest step first, no I/O. Every outcome is a
 * prebuilt object (a key's granted outcome is made on its first success and kept): the token
 * check allocates nothing, and the only allocation is the SHA-256 digest string, which is the
 * lookup key itself (32 binary characters, see tokenDigest).
 * Account scoping is left to handlers, through `key.accountId` of the outcome.
 */
export function authorize(index: KeyIndex, req: AuthRequest): AuthOutcome {
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

  const rule = PERMISSION_RULES.get(req.permission);
  if (rule === undefined) return PERMISSION_UNKNOWN;
  if (!rule.publicSafe && profile.kind === 'public') return rule.publicKeyNotAllowed;
  if ((profile.permissionBits & rule.bit) === 0) return rule.denied;
  return key.granted;
}
