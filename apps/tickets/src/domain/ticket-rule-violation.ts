import type { RuleViolationKind } from '@keyward/contracts';
import { ruleViolationOf } from '@keyward/contracts';

/**
 * Every way a ticket command can be refused, with the class of answer it gets: `conflict` (409:
 * the ticket's state forbids it), `invalid` (422: the command's values or references are wrong)
 * or `not_found` (404). Clients match the code.
 */
export const TICKET_RULE_CODES = {
  ticket_exists: 'conflict',
  ticket_not_found: 'not_found',
  ticket_closed: 'conflict',
  invalid_requester_name: 'invalid',
  invalid_requester_email: 'invalid',
  invalid_contact: 'invalid',
  invalid_problem_description: 'invalid',
  invalid_device_id: 'invalid',
  unknown_device: 'invalid',
  device_removed: 'invalid',
  invalid_resolution: 'invalid',
  unknown_technician: 'invalid',
  technician_deactivated: 'invalid',
} as const satisfies Record<string, RuleViolationKind>;

/** Thrown by the ticket rules and `decide`; the shared problem filter answers it by its kind and code. */
export const TicketRuleViolation = ruleViolationOf('TicketRuleViolation', TICKET_RULE_CODES);
export type TicketRuleViolation = InstanceType<typeof TicketRuleViolation>;
