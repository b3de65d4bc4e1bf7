import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A new public key identifier: `key_` and 20 base62 characters (~119 bits). Not a secret. */
export function newKeyId(): string {
  let id = 'key_';
  for (const b of randomBytes(20)) id += ALPHABET[b % 62];
  return id;
}
