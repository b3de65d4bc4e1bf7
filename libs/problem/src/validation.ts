import type { ArgumentMetadata, ValidationError } from '@nestjs/common';
import { ValidationPipe } from '@nestjs/common';
import { ProblemError } from './problem';

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

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** The path of the first property name that could pollute prototypes, anywhere in a JSON value. */
function forbiddenKey(value: unknown, path = ''): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  for (const key of Object.keys(value)) {
    const here = path ? `${path}.${key}` : key;
    if (FORBIDDEN_KEYS.has(key)) return here;
    const inner = forbiddenKey((value as Record<string, unknown>)[key], here);
    if (inner) return inner;
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
 * `validation_failed` listing every field at fault.
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
      return new ProblemError(400, 'validation_failed', 'Request is not valid',
        fields.map((f) => `${f.field}: ${f.messages.join('; ')}`).join('. '), { errors: fields });
    },
  });
}
