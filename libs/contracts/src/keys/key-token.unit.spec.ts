import { crc32 } from 'node:zlib';
import {
  checkToken, digestOfTokenHash, displayPrefix, generateToken, hashToken, TOKEN_LENGTH, TOKEN_PATTERN, tokenDigest, tokenHashOfDigest,
} from './key-token';
import type { KeyKind } from './key-token';

const PREFIX_LENGTH = 6;

/** Replaces the character at `index` with another base62 character (or `_` in the prefix). */
function changeAt(token: string, index: number, replacement?: string): string {
  const current = token[index];
  const other = replacement ?? (current === 'A' ? 'B' : 'A');
  return token.slice(0, index) + other + token.slice(index + 1);
}

describe('generateToken', () => {
  it.each<[KeyKind, string]>([
    ['public', 'kw_pk_'],
    ['private', 'kw_sk_'],
  ])('gives a %s key the %s prefix, a fixed length and base62 after it', (kind, prefix) => {
    const token = generateToken(kind);
    expect(token.startsWith(prefix)).toBe(true);
    expect(token).toHaveLength(TOKEN_LENGTH);
    expect(TOKEN_LENGTH).toBe(55);
    expect(token.slice(PREFIX_LENGTH)).toMatch(/^[0-9A-Za-z]+$/);
    expect(checkToken(token)).toEqual({ ok: true, kind });
  });

  it('carries at least 256 bits of randomness', () => {
    // 43 base62 characters before the 6-character checksum: 43 * log2(62) ≈ 256.03 bits.
    const randomChars = TOKEN_LENGTH - PREFIX_LENGTH - 6;
    expect(randomChars * Math.log2(62)).toBeGreaterThanOrEqual(256);
  });

  it('never repeats across 1000 tokens', () => {
    const tokens = new Set(Array.from({ length: 1000 }, (_, i) => generateToken(i % 2 === 0 ? 'public' : 'private')));
    expect(tokens.size).toBe(1000);
  });
});

describe('checkToken', () => {
  const token = generateToken('private');

  it('refuses a one-character change at any position', () => {
    for (let i = 0; i < token.length; i++) {
      const changed = changeAt(token, i);
      const result = checkToken(changed);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(['bad_checksum', 'malformed']).toContain(result.reason);
    }
  });

  it('answers bad_checksum for a changed character in the body or checksum', () => {
    for (let i = PREFIX_LENGTH; i < token.length; i++) {
      expect(checkToken(changeAt(token, i))).toEqual({ ok: false, reason: 'bad_checksum' });
    }
  });

  it('answers malformed for a character outside base62', () => {
    expect(checkToken(changeAt(token, 20, '-'))).toEqual({ ok: false, reason: 'malformed' });
    expect(checkToken(changeAt(token, 20, 'é'))).toEqual({ ok: false, reason: 'malformed' });
  });

  it('answers malformed for a truncated or extended token', () => {
    expect(checkToken(token.slice(0, -1))).toEqual({ ok: false, reason: 'malformed' });
    expect(checkToken(token.slice(0, 20))).toEqual({ ok: false, reason: 'malformed' });
    expect(checkToken('')).toEqual({ ok: false, reason: 'malformed' });
    expect(checkToken(`${token}0`)).toEqual({ ok: false, reason: 'malformed' });
  });

  it.each(['kw_xk_', 'kx_sk_', 'KW_SK_', 'kw_sK_', 'kw-sk_', 'kw_sk-'])('answers malformed for the prefix %s', (prefix) => {
    expect(checkToken(prefix + token.slice(PREFIX_LENGTH))).toEqual({ ok: false, reason: 'malformed' });
  });

  it('sees a public token relabelled as private as a bad checksum, not a private key', () => {
    const publicToken = generateToken('public');
    expect(checkToken(`kw_sk_${publicToken.slice(PREFIX_LENGTH)}`)).toEqual({ ok: false, reason: 'bad_checksum' });
  });

  it('answers bad_checksum for two neighbouring characters swapped', () => {
    for (let i = PREFIX_LENGTH; i < token.length - 1; i++) {
      if (token[i] === token[i + 1]) continue;
      const swapped = token.slice(0, i) + token.charAt(i + 1) + token.charAt(i) + token.slice(i + 2);
      expect(checkToken(swapped)).toEqual({ ok: false, reason: 'bad_checksum' });
    }
  });
});

describe('hashToken', () => {
  it('is 64 lowercase hex characters and deterministic', () => {
    const token = generateToken('public');
    expect(hashToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(token)).toBe(hashToken(token));
    expect(hashToken(token)).not.toBe(hashToken(generateToken('public')));
  });

  it('is the SHA-256 of the whole token', () => {
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('displayPrefix', () => {
  it('shows the kind prefix and six characters, far too little to use', () => {
    const token = generateToken('private');
    expect(displayPrefix(token)).toBe(token.slice(0, 12));
    expect(displayPrefix(token)).toMatch(/^kw_sk_[0-9A-Za-z]{6}$/);
  });
});

describe('TOKEN_PATTERN', () => {
  it('finds every token inside a text', () => {
    const a = generateToken('public');
    const b = generateToken('private');
    const text = `config: key=${a}\nAuthorization: Bearer ${b}. kw_sk_short`;
    expect(text.match(TOKEN_PATTERN)).toEqual([a, b]);
  });

  it('finds nothing in a text without a token', () => {
    expect('no secrets here, kw_pk_ only'.match(TOKEN_PATTERN)).toBeNull();
  });
});

describe('checksum over char codes', () => {
  it('is the CRC-32 zlib computes, so tokens issued before keep their checksum', () => {
    // The checksum was zlib.crc32 of the head; it is now computed in place over the char codes.
    for (let i = 0; i < 200; i++) {
      const token = generateToken(i % 2 === 0 ? 'public' : 'private');
      const head = token.slice(0, TOKEN_LENGTH - 6);
      let n = crc32(head);
      let expected = '';
      for (let d = 0; d < 6; d++) {
        expected = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'[n % 62] + expected;
        n = Math.floor(n / 62);
      }
      expect(token.slice(-6)).toBe(expected);
      expect(checkToken(token)).toEqual({ ok: true, kind: i % 2 === 0 ? 'public' : 'private' });
    }
  });
});

describe('tokenDigest', () => {
  it('is hashToken in binary form, and converts both ways', () => {
    const token = generateToken('private');
    const digest = tokenDigest(token);
    expect(digest).toHaveLength(32);
    expect(digestOfTokenHash(hashToken(token))).toBe(digest);
    expect(tokenHashOfDigest(digest)).toBe(hashToken(token));
  });

  it('has no binary form for text that is not a lowercase hex SHA-256', () => {
    expect(digestOfTokenHash('hash-1')).toBeUndefined();
    expect(digestOfTokenHash(hashToken('x').toUpperCase())).toBeUndefined();
    expect(digestOfTokenHash(`${hashToken('x')}0`)).toBeUndefined();
  });
});
