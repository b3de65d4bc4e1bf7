import type { RuleViolationKind } from '@keyward/contracts';
import { ruleViolationOf } from '@keyward/contracts';

/**
 * Every way a key command can be refused, each with a stable code and the class of answer it
 * gets: `conflict` (409: the key's current state forbids it), `invalid` (422: the command's own
 * values are wrong), `not_found` (404) or `forbidden` (403: the calling key may not do it, see
 * api-key.authority.ts). The HTTP layer maps the kind; clients match the code.
 */
export const KEY_RULE_CODES = {
  key_exists: 'conflict',
  key_not_found: 'not_found',
  key_revoked: 'conflict',
  key_expired: 'conflict',
  key_already_active: 'conflict',
  invalid_kind: 'invalid',
  invalid_name: 'invalid',
  invalid_reason: 'invalid',
  permissions_required: 'invalid',
  unknown_permission: 'invalid',
  permission_not_public_safe: 'invalid',
  too_many_allowed_ips: 'invalid',
  invalid_ip: 'invalid',
  too_many_allowed_origins: 'invalid',
  invalid_origin: 'invalid',
  invalid_rate_limit: 'invalid',
  rate_limit_required: 'invalid',
  invalid_expiry: 'invalid',
  expiry_in_past: 'invalid',
  expiry_too_far: 'invalid',
  expiry_required: 'invalid',
  grace_period_out_of_range: 'invalid',
  permission_escalation: 'forbidden',
} as const satisfies Record<string, RuleViolationKind>;

/** A key command refused by a rule; the shared problem filter answers it by its kind and code. */
export const KeyRuleViolation = ruleViolationOf('KeyRuleViolation', KEY_RULE_CODES);
export type KeyRuleViolation = InstanceType<typeof KeyRuleViolation>;

/** A key that does not exist, or belongs to another account (answered exactly alike, so ids leak nothing). */
export function keyNotFound(keyId: string): KeyRuleViolation {
  return new KeyRuleViolation('key_not_found', `key ${keyId} does not exist`);
}
