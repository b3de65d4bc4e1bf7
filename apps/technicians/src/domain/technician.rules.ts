import { TechnicianRuleViolation } from './technician-rule-violation';

/** Validation and normalisation of command values, shared by every command that takes them. */

export const NAME_MAX_LENGTH = 200;
/** RFC 5321: a forward path is at most 256 octets, so an address at most 254 characters. */
export const EMAIL_MAX_LENGTH = 254;
export const REASON_MAX_LENGTH = 500;

/** One `@`, no spaces, a dot in the domain; the HTTP layer checks the full syntax (`@IsEmail`). */
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** Lengths count code points, so an emoji is one character as a user sees it. */
function length(text: string): number {
  return [...text].length;
}

export function normaliseName(name: string): string {
  const trimmed = name.trim();
  const n = length(trimmed);
  if (n < 1 || n > NAME_MAX_LENGTH || CONTROL_CHARACTERS.test(trimmed)) {
    throw new TechnicianRuleViolation('invalid_name', `name must be 1 to ${NAME_MAX_LENGTH} characters (after trimming), without control characters`);
  }
  return trimmed;
}

/**
 * Emails are trimmed and lower-cased: they are compared for uniqueness and searched, and no mail
 * system in practice tells `Ann@x.io` from `ann@x.io`.
 */
export function normaliseEmail(email: string): string {
  const normalised = email.trim().toLowerCase();
  if (normalised.length > EMAIL_MAX_LENGTH || !EMAIL_SHAPE.test(normalised)) {
    throw new TechnicianRuleViolation('invalid_email', `email must be an email address of at most ${EMAIL_MAX_LENGTH} characters`);
  }
  return normalised;
}

/** A reason is optional free text kept in the event forever, so it is trimmed and bounded. */
export function normaliseReason(reason: string | undefined): string | undefined {
  if (reason === undefined) return undefined;
  const trimmed = reason.trim();
  if (length(trimmed) > REASON_MAX_LENGTH) {
    throw new TechnicianRuleViolation('invalid_reason', `reason must be at most ${REASON_MAX_LENGTH} characters`);
  }
  return trimmed === '' ? undefined : trimmed;
}
