import type { ValidationError } from '@nestjs/common';
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

/**
 * The validation every HTTP input goes through: DTO classes with class-validator, unknown
 * properties refused, plain values transformed to the declared types. Failures answer 400
 * `validation_failed` listing every field at fault.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
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
