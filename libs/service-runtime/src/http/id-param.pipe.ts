import type { PipeTransform } from '@nestjs/common';
import { IsString, Matches } from 'class-validator';
import { ProblemError } from '@keyward/problem';
import type { FieldDecorator } from './stacked';
import { stacked } from './stacked';

/** What an id of a kind looks like: its prefix (`tech`, `dev`), `_`, then 4 to 64 letters, digits or underscores. */
export function entityIdPattern(prefix: string): RegExp {
  return new RegExp(`^${prefix}_[A-Za-z0-9_]{4,64}$`);
}

/**
 * A DTO field holding another entity's id (`technicianId`, `deviceId`): a string that looks like
 * one of its kind, or the request is a 400 whose detail says what an id looks like. Put
 * `@IsOptional()` above it for an optional one.
 */
export function IsEntityId(prefix: string): FieldDecorator {
  return stacked(
    IsString(),
    Matches(entityIdPattern(prefix), { message: `$property must look like ${prefix}_ followed by 4 to 64 letters, digits or underscores` }),
  );
}

/**
 * A path id must look like one of its kind (`key_…`, `dev_…`); anything else is a clear 400
 * `invalid_<name>_id`, never a lookup.
 */
export class IdParamPipe implements PipeTransform<string, string> {
  /** What the id must match: also the path parameter's `pattern` in the OpenAPI document. */
  readonly pattern: RegExp;

  constructor(private readonly prefix: string, private readonly name: string) {
    this.pattern = entityIdPattern(prefix);
  }

  transform(value: string): string {
    if (!this.pattern.test(value)) {
      throw new ProblemError(400, `invalid_${this.name}_id`, `Invalid ${this.name} id`,
        `a ${this.name} id looks like ${this.prefix}_ followed by 4 to 64 letters, digits or underscores`);
    }
    return value;
  }
}
