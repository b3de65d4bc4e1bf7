import type { ValidationOptions } from 'class-validator';
import { buildMessage, ValidateBy } from 'class-validator';

/** The constraint name: what the validation pipe recognises to answer 422 `invalid_text`. */
export const SAFE_TEXT = 'isSafeText';

/**
 * What no stored name or free text may contain, because it hides or reorders what a reader sees
 * (in a console, a log line, a support agent's screen): C0 controls, DEL and C1 controls, and the
 * bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069: "Trojan source").
 * Multi-line text (notes, descriptions, reasons) may hold tab, line feed and carriage return.
 * Lone surrogates are refused too (they are not text: no UTF-8 encoding exists for them).
 *
 * The class sources are written with \u escapes, so the same string is a JSON-schema `pattern`
 * (ECMA-262, also read by Python and other generators) in the OpenAPI document.
 */
const SINGLE_LINE_CLASS = '\\u0000-\\u001F\\u007F-\\u009F\\u202A-\\u202E\\u2066-\\u2069';
const MULTI_LINE_CLASS = '\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\\u202A-\\u202E\\u2066-\\u2069';

/** The JSON-schema `pattern` a safe text matches (lone surrogates aside: a pattern cannot say it). */
export function safeTextPattern(multiline: boolean): string {
  return `^[^${multiline ? MULTI_LINE_CLASS : SINGLE_LINE_CLASS}]*$`;
}

const UNSAFE_SINGLE_LINE = new RegExp(`[${SINGLE_LINE_CLASS}]`);
const UNSAFE_MULTI_LINE = new RegExp(`[${MULTI_LINE_CLASS}]`);
/** With the `u` flag a surrogate range matches only a surrogate that is not half of a pair. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

export interface SafeTextOptions {
  /** Allow tab, line feed and carriage return (free text such as notes); default false. */
  readonly multiline?: boolean;
}

/** Whether `value` is a string free of control characters, bidi overrides/isolates and lone surrogates. */
export function isSafeText(value: unknown, { multiline = false }: SafeTextOptions = {}): boolean {
  if (typeof value !== 'string') return false;
  return !(multiline ? UNSAFE_MULTI_LINE : UNSAFE_SINGLE_LINE).test(value) && !LONE_SURROGATE.test(value);
}

/**
 * The rule for every name and free-text field of every DTO: a string that breaks it answers 422
 * `invalid_text` (see createValidationPipe). Use with `@IsString()` and a length; `{ each: true }`
 * for arrays of strings.
 */
export function IsSafeText(options: SafeTextOptions = {}, validationOptions?: ValidationOptions): PropertyDecorator {
  const multiline = options.multiline ?? false;
  return ValidateBy({
    name: SAFE_TEXT,
    constraints: [multiline],
    validator: {
      // Another type is @IsString's to refuse (400), not this rule's.
      validate: (value: unknown) => typeof value !== 'string' || isSafeText(value, { multiline }),
      defaultMessage: buildMessage((each) => `${each}$property must not contain control characters${multiline ? ' (other than tab and line breaks)' : ''}, bidirectional overrides or isolates, or lone surrogates`),
    },
  }, validationOptions);
}
