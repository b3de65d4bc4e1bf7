import type { RuleViolationKind } from '@keyward/contracts';
import { ruleViolationOf } from '@keyward/contracts';

/**
 * Every way a session command can be refused, with the class of answer it gets: `conflict`
 * (409: the session's state forbids it), `invalid` (422: the command's values or references are
 * wrong) or `not_found` (404). Clients match the code.
 */
export const SESSION_RULE_CODES = {
  session_exists: 'conflict',
  session_not_found: 'not_found',
  session_already_started: 'conflict',
  session_ended: 'conflict',
  session_not_started: 'conflict',
  unknown_device: 'invalid',
  device_removed: 'invalid',
  unknown_ticket: 'invalid',
  ticket_closed: 'invalid',
  unknown_technician: 'invalid',
  technician_deactivated: 'invalid',
  invalid_outcome: 'invalid',
  invalid_notes: 'invalid',
} as const satisfies Record<string, RuleViolationKind>;

/** Thrown by the session rules and `decide`; the shared problem filter answers it by its kind and code. */
export const SessionRuleViolation = ruleViolationOf('SessionRuleViolation', SESSION_RULE_CODES);
export type SessionRuleViolation = InstanceType<typeof SessionRuleViolation>;
