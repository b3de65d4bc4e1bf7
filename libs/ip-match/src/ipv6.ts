import { INVALID, parseIpv4 } from './ipv4';

/**
 * IPv6 text <-> four uint32 words (most significant first), by hand for the same reason as
 * ipv4.ts: no splitting, no regex, no BigInt, nothing allocated per parse.
 */
export interface Ipv6Words {
  w0: number;
  w1: number;
  w2: number;
  w3: number;
}

const COLON = 58;
const DOT = 46;

// Scratch space for the eight 16-bit groups. Module-level so a parse allocates nothing; safe
// because a parse runs to completion without yielding (JavaScript is single-threaded here).
const groups = new Uint16Array(8);

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return INVALID;
}

/**
 * Parses `text[start, end)` as an IPv6 address in any RFC 4291 text form: full, `::`-compressed,
 * or with a trailing dotted IPv4 (`::ffff:192.0.2.1`). Zone ids (`fe80::1%eth0`) are refused: an
 * allow-list cannot say which interface it means. Writes the address into `out`; returns whether
 * the text was an address (on false, `out` holds garbage).
 */
export function parseIpv6(text: string, start: number, end: number, out: Ipv6Words): boolean {
  if (end - start < 2) return false;
  let count = 0;
  // Index in `groups` where `::` stands, or -1.
  let gap = -1;
  let i = start;
  if (text.charCodeAt(i) === COLON) {
    if (text.charCodeAt(i + 1) !== COLON) return false;
    gap = 0;
    i += 2;
  }
  while (i < end) {
    const groupStart = i;
    let value = 0;
    let digits = 0;
    while (i < end) {
      const h = hexValue(text.charCodeAt(i));
      if (h === INVALID) break;
      if (digits === 4) return false;
      value = value * 16 + h;
      digits++;
      i++;
    }
    if (i < end && text.charCodeAt(i) === DOT) {
      // A dotted IPv4 tail fills the last two groups and must run to the end of the text.
      if (count > 6) return false;
      const v4 = parseIpv4(text, groupStart, end);
      if (v4 === INVALID) return false;
      groups[count++] = v4 >>> 16;
      groups[count++] = v4 & 0xffff;
      break;
    }
    if (digits === 0 || count === 8) return false;
    groups[count++] = value;
    if (i === end) break;
    if (text.charCodeAt(i) !== COLON) return false;
    i++;
    if (i < end && text.charCodeAt(i) === COLON) {
      if (gap !== -1) return false;
      gap = count;
      i++;
    } else if (i === end) {
      return false;
    }
  }
  if (gap === -1) {
    if (count !== 8) return false;
  } else {
    // `::` stands for at least one zero group (RFC 4291 2.2).
    if (count > 7) return false;
    const zeros = 8 - count;
    for (let k = count - 1; k >= gap; k--) groups[k + zeros] = groups[k] ?? 0;
    for (let k = gap; k < gap + zeros; k++) groups[k] = 0;
  }
  out.w0 = word(0);
  out.w1 = word(2);
  out.w2 = word(4);
  out.w3 = word(6);
  return true;
}

function word(index: number): number {
  return (((groups[index] ?? 0) << 16) | (groups[index + 1] ?? 0)) >>> 0;
}

/** RFC 5952 canonical text: lower case, no leading zeros, the longest zero run (first on a tie, at least two groups) as `::`. */
export function formatIpv6(words: Readonly<Ipv6Words>): string {
  const g = [
    words.w0 >>> 16, words.w0 & 0xffff, words.w1 >>> 16, words.w1 & 0xffff,
    words.w2 >>> 16, words.w2 & 0xffff, words.w3 >>> 16, words.w3 & 0xffff,
  ];
  let bestStart = -1;
  let bestLength = 1;
  for (let k = 0; k < 8; ) {
    if (g[k] !== 0) {
      k++;
      continue;
    }
    let run = k;
    while (run < 8 && g[run] === 0) run++;
    if (run - k > bestLength) {
      bestStart = k;
      bestLength = run - k;
    }
    k = run;
  }
  const hex = g.map((n) => n.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** True for `::ffff:0:0/96`, the IPv4-mapped range: such an address is the IPv4 address in `w3`. */
export function isIpv4Mapped(words: Readonly<Ipv6Words>): boolean {
  return words.w0 === 0 && words.w1 === 0 && words.w2 === 0xffff;
}
