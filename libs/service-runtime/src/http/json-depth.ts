/**
 * How deeply a JSON request body may nest arrays and objects. No Keyward body nests more than three
 * levels; 32 leaves room for any future shape while staying far below what recursive code after the
 * parser (class-transformer, class-validator, the prototype-key check) survives: about 2,500 levels
 * of `[` overflowed their stacks, a 500. Deeper bodies answer 400 `json_too_deep`.
 */
export const MAX_JSON_DEPTH = 32;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;

/**
 * The deepest nesting of `[`/`{` in JSON text, outside strings, scanning at most until `limit` is
 * exceeded (then `limit + 1`). One pass, no allocation, no recursion: cheap enough to run on every
 * body before JSON.parse. Malformed text is not judged here (the parser does that); the scan only
 * has to agree with the parser on what is inside a string, which the quote and backslash rules
 * decide. Works on UTF-8 bytes as on UTF-16 code units: every byte of a multi-byte UTF-8 sequence
 * is >= 0x80, so none is mistaken for a bracket or a quote.
 */
export function jsonDepthExceeds(text: Uint8Array | string, limit: number = MAX_JSON_DEPTH): boolean {
  const at = typeof text === 'string' ? (i: number) => text.charCodeAt(i) : (i: number) => text[i] ?? 0;
  const n = text.length;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < n; i++) {
    const c = at(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      depth--;
    }
  }
  return false;
}
