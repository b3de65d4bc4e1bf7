import type { PipeTransform } from '@nestjs/common';
import { Injectable } from '@nestjs/common';
import { ProblemError } from '@keyward/problem';

export const KEY_ID_PATTERN = /^key_[A-Za-z0-9_]{4,64}$/;

/** A key id in a path must look like one; anything else is a clear 400, not a lookup. */
@Injectable()
export class KeyIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!KEY_ID_PATTERN.test(value)) {
      throw new ProblemError(400, 'invalid_key_id', 'Invalid key id', 'a key id looks like key_ followed by 4 to 64 letters, digits or underscores');
    }
    return value;
  }
}
