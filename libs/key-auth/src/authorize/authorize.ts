import { checkToken, hashToken } from '@keyward/contracts';
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
 * prebuilt object: the only allocations are the token check's and the SHA-256.
 * Account scoping is left to handlers, through `key.accountId` of the outcome.
 */
export function authorize(index: KeyIndex, req: AuthRequest): AuthOutcome {
  const token = req.token;
  if (token === undefined || token.length === 0) return MISSING_KEY;

  const check = checkToken(token);
  if (!check.ok) return check.reason === 'bad_checksum' ? BAD_CHECKSUM : MALFORMED_KEY;

  const key = index.findByTokenHash(hashToken(token), req.nowMs);
  // The kind is spelled in the token and recorded at creation; if they disagree the stored key
  // is not trustworthy, and treating a public token as private would widen what it may do.
  if (key === undefined || key.view.kind !== check.kind) return UNKNOWN_KEY;

  switch (key.view.status) {
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
      const _unknown: never = key.view.status;
      return KEY_DISABLED;
    }
  }
  // The clock decides, not only KeyExpired: the event follows the deadline, the deadline binds at once.
  if (!(req.nowMs < key.expiresAtMs)) return KEY_EXPIRED;

  const allowList = key.allowList;
  if (!allowList.any && (req.clientIp === undefined || !allowList.allows(req.clientIp))) return IP_NOT_ALLOWED;

  const rule = PERMISSION_RULES.get(req.permission);
  if (rule === undefined) return PERMISSION_UNKNOWN;
  if (!rule.publicSafe && key.view.kind === 'public') return rule.publicKeyNotAllowed;
  if (!key.permissions.has(req.permission)) return rule.denied;
  return key.granted;
}
