import type { PipeTransform } from '@nestjs/common';
import { ProblemError } from '@keyward/problem';

/**
 * A path id must look like one of its kind (`key_…`, `dev_…`); anything else is a clear 400
 * `invalid_<name>_id`, never a lookup.
 */
export class IdParamPipe implements PipeTransform<string, string> {
  /** What the id must match: also the path parameter's `pattern` in the OpenAPI document. */
  readonly pattern: RegExp;

  constructor(private readonly prefix: string, private readonly name: string) {
    this.pattern = new RegExp(`^${prefix}_[A-Za-z0-9_]{4,64}$`);
  }

  transform(value: string): string {
    if (!this.pattern.test(value)) {
      throw new ProblemError(400, `invalid_${this.name}_id`, `Invalid ${this.name} id`,
        `a ${this.name} id looks like ${this.prefix}_ followed by 4 to 64 letters, digits or underscores`);
    }
    return value;
  }
}
