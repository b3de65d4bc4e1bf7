import type { RuleViolationKind } from '@keyward/contracts';
import { ruleViolationOf } from '@keyward/contracts';

/**
 * Every way a technician command can be refused, with a stable code and the class of answer it
 * gets: `conflict` (409: the technician's state forbids it), `invalid` (422: the command's own
 * values are wrong) or `not_found` (404). The problem+json filter maps the kind.
 */
export const TECHNICIAN_RULE_CODES = {
  technician_not_found: 'not_found',
  technician_exists: 'conflict',
  technician_deactivated: 'conflict',
  technician_email_taken: 'conflict',
  invalid_name: 'invalid',
  invalid_email: 'invalid',
  invalid_reason: 'invalid',
  nothing_to_update: 'invalid',
} as const satisfies Record<string, RuleViolationKind>;

/** Thrown by the technician rules and `decide`; the shared problem filter answers it by its kind and code. */
export const TechnicianRuleViolation = ruleViolationOf('TechnicianRuleViolation', TECHNICIAN_RULE_CODES);
export type TechnicianRuleViolation = InstanceType<typeof TechnicianRuleViolation>;
