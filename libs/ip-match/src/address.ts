import { INVALID, parseIpv4 } from './ipv4';
import type { Ipv6Words } from './ipv6';
import { isIpv4Mapped, parseIpv6 } from './ipv6';

/** What `parseAddress` found: no address, an IPv4 (or IPv4-mapped IPv6) one, or another IPv6 one. */
export type AddressFamily = 0 | 4 | 6;

/**
 * Parses a client address into `out` as 128 bits. An IPv4 address is stored in its IPv4-mapped
 * form (`::ffff:a.b.c.d`) and an IPv4-mapped one is reported as family 4, so the caller can test
 * it against IPv4 rules (on `w3`) and IPv6 rules (on all four words) alike.
 */
export function parseAddress(text: string, start: number, end: number, out: Ipv6Words): AddressFamily {
  const v4 = parseIpv4(text, start, end);
  if (v4 !== INVALID) {
    out.w0 = 0;
    out.w1 = 0;
    out.w2 = 0xffff;
    out.w3 = v4;
    return 4;
  }
  if (!parseIpv6(text, start, end, out)) return 0;
  return isIpv4Mapped(out) ? 4 : 6;
}
