/**
 * IPv4 dotted-quad text <-> uint32, by hand: this runs on every request that meets an IP
 * allow-list, so it reads character codes in place instead of splitting or matching a regex.
 */

/** Returned by the parsers for text that is not an address (a uint32 is never negative). */
export const INVALID = -1;

const DOT = 46;
const ZERO = 48;
const NINE = 57;

/**
 * Parses `text[start, end)` as exactly four decimal octets. Leading zeros ("010") are refused
 * because some parsers read them as octal, so the same text could name two different hosts.
 * Returns the address as an unsigned 32-bit number, or INVALID.
 */
export function parseIpv4(text: string, start: number, end: number): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= ZERO && c <= NINE) {
      if (digits === 1 && octet === 0) return INVALID;
      octet = octet * 10 + (c - ZERO);
      // Also bounds the digit count: four digits without a leading zero are at least 1000.
      if (octet > 255) return INVALID;
      digits++;
    } else if (c === DOT) {
      if (digits === 0 || dots === 3) return INVALID;
      // Multiplication, not <<, so the top octet cannot flip the sign.
      value = value * 256 + octet;
      dots++;
      octet = 0;
      digits = 0;
    } else {
      return INVALID;
    }
  }
  if (digits === 0 || dots !== 3) return INVALID;
  return value * 256 + octet;
}

export function formatIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}
