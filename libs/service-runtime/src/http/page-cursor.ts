import { randomBytes } from 'node:crypto';
import { ProblemError } from '@keyward/problem';

/** An opaque cursor for keyset pagination over (a sort value, an id). */
export function encodeCursor(sortValue: string, id: string): string {
  return Buffer.from(JSON.stringify([sortValue, id])).toString('base64url');
}

export function decodeCursor(cursor: string): { sortValue: string; id: string } {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === 'string' && typeof parsed[1] === 'string') {
      return { sortValue: parsed[0], id: parsed[1] };
    }
  } catch {
    // falls through to the error below
  }
  throw new ProblemError(400, 'invalid_cursor', 'Invalid cursor', 'cursor must be a nextCursor value from an earlier page');
}

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A new public identifier: the prefix, `_`, and 20 base62 characters (~119 bits). Not a secret. */
export function newId(prefix: string): string {
  let id = `${prefix}_`;
  for (const b of randomBytes(20)) id += ALPHABET[b % 62];
  return id;
}
