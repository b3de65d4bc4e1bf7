import type { RuleViolationKind } from '@keyward/contracts';
import { RuleViolation } from '@keyward/contracts';

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

export type SessionRuleCode = keyof typeof SESSION_RULE_CODES;

export class SessionRuleViolation extends RuleViolation {
  override readonly name = 'SessionRuleViolation';

  constructor(code: SessionRuleCode, message: string, details?: Readonly<Record<string, unknown>>) {
    super(code, SESSION_RULE_CODES[code], message, details);
  }
}
