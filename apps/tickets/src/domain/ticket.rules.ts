import { TicketRuleViolation } from './ticket-rule-violation';

export const REQUESTER_NAME_MAX_LENGTH = 200;
export const REQUESTER_EMAIL_MAX_LENGTH = 254;
export const CONTACT_MAX_LENGTH = 200;
export const PROBLEM_DESCRIPTION_MAX_LENGTH = 5000;
export const RESOLUTION_MAX_LENGTH = 2000;

/** `TKT-` and 6 characters of Crockford's base32 (no I, L, O, U): easy to read out on a phone. */
export const TICKET_REFERENCE_PATTERN = /^TKT-[0-9A-HJKMNP-TV-Z]{6}$/;
export const DEVICE_ID_PATTERN = /^dev_[A-Za-z0-9_]{4,64}$/;
export const TECHNICIAN_ID_PATTERN = /^tech_[A-Za-z0-9_]{4,64}$/;

/** Deliberately loose (the HTTP layer validates fully): one @, something either side, no spaces. */
const EMAIL = /^[^\s@]+@[^\s@]+$/;

export function requiredText(value: string, max: number, code: 'invalid_requester_name' | 'invalid_problem_description', field: string): string {
  const text = value.trim();
  if (text.length === 0 || text.length > max) {
    throw new TicketRuleViolation(code, `${field} must be 1 to ${max} characters (after trimming spaces)`);
  }
  return text;
}

/** Optional text: blank means none. */
export function optionalText(value: string | null, max: number, code: 'invalid_contact' | 'invalid_resolution', field: string): string | null {
  if (value === null) return null;
  const text = value.trim();
  if (text.length > max) throw new TicketRuleViolation(code, `${field} must be at most ${max} characters`);
  return text.length === 0 ? null : text;
}

export function email(value: string): string {
  const text = value.trim();
  if (text.length > REQUESTER_EMAIL_MAX_LENGTH || !EMAIL.test(text)) {
    throw new TicketRuleViolation('invalid_requester_email', 'requesterEmail must be an email address');
  }
  return text;
}

export function deviceId(value: string | null): string | null {
  if (value === null) return null;
  if (!DEVICE_ID_PATTERN.test(value)) {
    throw new TicketRuleViolation('invalid_device_id', 'deviceId must look like dev_ followed by 4 to 64 letters, digits or underscores');
  }
  return value;
}
