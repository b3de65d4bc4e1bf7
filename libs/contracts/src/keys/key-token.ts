import { hash, randomBytes } from 'node:crypto';

/**
 * Key token format: `kw_pk_` (public) or `kw_sk_` (private), then 43 base62 characters of
 * CSPRNG randomness (>= 256 bits), then a 6-character base62 CRC-32 of everything before it.
 * The checksum lets a mistyped or truncated token be refused before any lookup, and gives
 * secret scanners a pattern with few false positives. Only SHA-256 of the whole token is kept.
 */
export type KeyKind = 'public' | 'private';

export const KEY_KINDS: readonly KeyKind[] = ['public', 'private'];

const PREFIX: Record<KeyKind, string> = { public: 'kw_pk_', private: 'kw_sk_' };
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const PREFIX_LENGTH = 6;
const BODY_LENGTH = 43;
const CHECKSUM_LENGTH = 6;
export const TOKEN_LENGTH = PREFIX_LENGTH + BODY_LENGTH + CHECKSUM_LENGTH;
/** Characters shown to recognise a key: the kind prefix and the first 6 random characters. */
const DISPLAY_PREFIX_LENGTH = PREFIX_LENGTH + 6;

/** Matches a token anywhere in a text (for secret scanning, and for tests that hunt leaks). */
export const TOKEN_PATTERN = /kw_[ps]k_[0-9A-Za-z]{49}/g;

export type TokenCheck =
  | { readonly ok: true; readonly kind: KeyKind }
  | { readonly ok: false; readonly reason: 'malformed' | 'bad_checksum' };

export function generateToken(kind: KeyKind): string {
  let body = '';
  // Rejection sampling keeps every character uniform: bytes >= 248 would favour the first 8 symbols.
  while (body.length < BODY_LENGTH) {
    for (const byte of randomBytes(64)) {
      if (byte < 248 && body.length < BODY_LENGTH) body += ALPHABET[byte % 62];
    }
  }
  const head = PREFIX[kind] + body;
  return head + checksum(head);
}

/** CRC-32 (IEEE, as zlib's) table; the checksum is computed over char codes, which for a token are its bytes. */
const CRC_TABLE = ((): Int32Array => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();
const ALPHABET_CODES = Int32Array.from(ALPHABET, (c) => c.charCodeAt(0));
const HEAD_LENGTH = PREFIX_LENGTH + BODY_LENGTH;

/** One byte into a running CRC-32 (`c` starts at -1; the result is `(c ^ -1) >>> 0`). */
function crcStep(c: number, byte: number): number {
  return (CRC_TABLE[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
}

/** CRC-32 of ASCII text (char codes are its bytes), unsigned: zlib's crc32 without its string-to-buffer copy. */
function crc32Ascii(text: string): number {
  let c = -1;
  for (let i = 0; i < text.length; i++) c = crcStep(c, text.charCodeAt(i));
  return (c ^ -1) >>> 0;
}

function crcState(text: string): number {
  let c = -1;
  for (let i = 0; i < text.length; i++) c = crcStep(c, text.charCodeAt(i));
  return c;
}

/** The running CRC after each kind's prefix, so a check hashes only the 43 body characters. */
const CRC_AFTER_PUBLIC_PREFIX = crcState('kw_pk_');
const CRC_AFTER_PRIVATE_PREFIX = crcState('kw_sk_');

function checksum(head: string): string {
  let n = crc32Ascii(head);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = ALPHABET[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

function isBase62(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

const MALFORMED: TokenCheck = Object.freeze({ ok: false, reason: 'malformed' });
const BAD_CHECKSUM: TokenCheck = Object.freeze({ ok: false, reason: 'bad_checksum' });
const PUBLIC_OK: TokenCheck = Object.freeze({ ok: true, kind: 'public' });
const PRIVATE_OK: TokenCheck = Object.freeze({ ok: true, kind: 'private' });

/**
 * Checks a presented token's shape and checksum. Allocation-free and in one pass: the CRC-32 runs
 * over the char codes in place (from the state after the prefix) while they are checked for
 * base62, and its base62 digits are compared with the token's last six characters one by one, with
 * no substring or checksum string; every answer is a prebuilt object.
 */
export function checkToken(token: string): TokenCheck {
  if (token.length !== TOKEN_LENGTH) return MALFORMED;
  if (token.charCodeAt(0) !== 107 /* k */ || token.charCodeAt(1) !== 119 /* w */ || token.charCodeAt(2) !== 95 /* _ */ ||
    token.charCodeAt(4) !== 107 /* k */ || token.charCodeAt(5) !== 95 /* _ */) {
    return MALFORMED;
  }
  const k = token.charCodeAt(3);
  if (k !== 112 /* p */ && k !== 115 /* s */) return MALFORMED;
  let c = k === 112 ? CRC_AFTER_PUBLIC_PREFIX : CRC_AFTER_PRIVATE_PREFIX;
  for (let i = PREFIX_LENGTH; i < HEAD_LENGTH; i++) {
    const code = token.charCodeAt(i);
    if (!isBase62(code)) return MALFORMED;
    c = crcStep(c, code);
  }
  for (let i = HEAD_LENGTH; i < TOKEN_LENGTH; i++) {
    if (!isBase62(token.charCodeAt(i))) return MALFORMED;
  }
  // checksum() writes the least significant base62 digit last.
  let n = (c ^ -1) >>> 0;
  for (let i = TOKEN_LENGTH - 1; i >= HEAD_LENGTH; i--) {
    if (token.charCodeAt(i) !== ALPHABET_CODES[n % 62]) return BAD_CHECKSUM;
    n = Math.floor(n / 62);
  }
  return k === 112 ? PUBLIC_OK : PRIVATE_OK;
}

/**
 * SHA-256 of the whole token, hex: the only form in which a secret is stored or published.
 * The one-shot crypto.hash, not createHash(): no Hash object per request (the benchmark measured
 * 0.48 µs against 1.55 µs per call).
 */
export function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}

/**
 * The same SHA-256 as `hashToken`, as a 32-character binary (latin1) string instead of 64 hex
 * characters: the form an in-memory index keys on, half the bytes per key and per lookup.
 */
export function tokenDigest(token: string): string {
  return hash('sha256', token, 'binary'); // 'binary' is Node's name for latin1
}

const HEX_SHA256 = /^[0-9a-f]{64}$/;

/** `tokenDigest`'s form of a stored `hashToken` value; undefined for text that is not one. */
export function digestOfTokenHash(tokenHash: string): string | undefined {
  return HEX_SHA256.test(tokenHash) ? Buffer.from(tokenHash, 'hex').toString('latin1') : undefined;
}

/** The `hashToken` form (hex) of a `tokenDigest` value. */
export function tokenHashOfDigest(digest: string): string {
  return Buffer.from(digest, 'latin1').toString('hex');
}

/** A short, non-secret prefix shown in listings so a person can recognise a key. */
export function displayPrefix(token: string): string {
  return token.slice(0, DISPLAY_PREFIX_LENGTH);
}
