import type { ArgumentMetadata, ValidationError } from '@nestjs/common';
import { ValidationPipe } from '@nestjs/common';
import { ProblemError } from './problem';
import { SAFE_TEXT } from './safe-text';

export interface FieldProblem {
  readonly field: string;
  readonly messages: readonly string[];
}

/** Flattens class-validator's tree into `a.b[0].c: message` entries. */
export function flattenValidationErrors(errors: readonly ValidationError[], parent = ''): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const e of errors) {
    const field = parent ? (/^\d+$/.test(e.property) ? `${parent}[${e.property}]` : `${parent}.${e.property}`) : e.property;
    if (e.constraints) out.push({ field, messages: Object.values(e.constraints) });
    if (e.children?.length) out.push(...flattenValidationErrors(e.children, field));
  }
  return out;
}

/** Whether every constraint that failed, anywhere in the tree, is the safe-text rule. */
function onlyUnsafeText(errors: readonly ValidationError[]): boolean {
  let any = false;
  const pending = [...errors];
  for (let e = pending.pop(); e !== undefined; e = pending.pop()) {
    for (const name of Object.keys(e.constraints ?? {})) {
      if (name !== SAFE_TEXT) return false;
      any = true;
    }
    pending.push(...(e.children ?? []));
  }
  return any;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

interface Visit {
  readonly value: unknown;
  readonly key: string;
  readonly parent: Visit | undefined;
}

function pathOf(visit: Visit): string {
  const keys: string[] = [];
  for (let v: Visit | undefined = visit; v?.parent !== undefined; v = v.parent) keys.push(v.key);
  return keys.reverse().join('.');
}

/**
 * The path of the first property name that could pollute prototypes, anywhere in a JSON value.
 * Iterative, with an explicit stack, and the path built only for the offender: a value nested
 * deeper than the call stack must answer 400, never 500 (the JSON parser's depth limit is the
 * first line; this one does not rely on it).
 */
function forbiddenKey(root: unknown): string | undefined {
  const pending: Visit[] = [{ value: root, key: '', parent: undefined }];
  for (let visit = pending.pop(); visit !== undefined; visit = pending.pop()) {
    const { value } = visit;
    if (value === null || typeof value !== 'object') continue;
    const keys = Object.keys(value);
    for (const key of keys) {
      if (FORBIDDEN_KEYS.has(key)) return pathOf({ value: undefined, key, parent: visit });
    }
    // Pushed in reverse so the first key's subtree is looked at first.
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i] as string;
      pending.push({ value: (value as Record<string, unknown>)[key], key, parent: visit });
    }
  }
  return undefined;
}

/**
 * class-transformer silently drops `__proto__` and friends before the unknown-property check
 * could refuse them; refuse them here so no such input is ever half-accepted.
 */
class StrictValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const bad = metadata.type === 'body' || metadata.type === 'query' ? forbiddenKey(value) : undefined;
    if (bad) {
      throw new ProblemError(400, 'validation_failed', 'Request is not valid', `${bad}: property ${bad} should not exist`,
        { errors: [{ field: bad, messages: [`property ${bad} should not exist`] }] });
    }
    return super.transform(value, metadata);
  }
}

/**
 * The validation every HTTP input goes through: DTO classes with class-validator, unknown
 * properties refused, plain values transformed to the declared types. Failures answer 400
 * `validation_failed` listing every field at fault; when the only fault is text that breaks
 * @IsSafeText (a well-formed request with control characters or bidi overrides in a name), 422
 * `invalid_text`.
 */
export function createValidationPipe(): ValidationPipe {
  return new StrictValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const fields = flattenValidationErrors(errors);
      if (onlyUnsafeText(errors)) {
        return new ProblemError(422, 'invalid_text', 'Text is not allowed',
          fields.map((f) => `${f.field}: ${f.messages.join('; ')}`).join('. '), { errors: fields });
      }
      return new ProblemError(400, 'validation_failed', 'Request is not valid',
        fields.map((f) => `${f.field}: ${f.messages.join('; ')}`).join('. '), { errors: fields });
    },
  });
}
