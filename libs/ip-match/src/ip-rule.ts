import { formatIpv4, INVALID, parseIpv4 } from './ipv4';
import type { Ipv6Words } from './ipv6';
import { formatIpv6, isIpv4Mapped, parseIpv6 } from './ipv6';
import { mask32 } from './mask';

/** One allowed-IP entry, parsed. */
export interface IpRule {
  /**
   * Canonical text: the network address (host bits cleared) in RFC 5952 / dotted-quad form, with
   * `/prefix` unless the rule is a single address ('10.0.0.0/8', '2001:db8::/32', '192.0.2.7').
   */
  readonly text: string;
  readonly family: 4 | 6;
  /** 0..32 for IPv4, 0..128 for IPv6. */
  readonly prefix: number;
}

/** A rule with its network and mask as 128-bit words; an IPv4 rule uses only `w3`. */
export interface CompiledRule {
  readonly rule: IpRule;
  readonly network: Readonly<Ipv6Words>;
  readonly mask: Readonly<Ipv6Words>;
}

/**
 * Parses an allowed-IP entry: an IPv4/IPv6 address or CIDR range. IPv4-mapped IPv6
 * (`::ffff:1.2.3.4`, also with a /prefix >= 96) is normalised to IPv4, so one client matches the
 * same rules whichever way its socket reports it. Host bits set below the prefix are allowed and
 * cleared ('10.1.2.3/8' is '10.0.0.0/8'). Returns undefined when malformed: bad or
 * leading-zero octets, prefix out of range, zone ids, surrounding whitespace.
 */
export function parseIpRule(text: string): IpRule | undefined {
  return compileRule(text)?.rule;
}

export function compileRule(text: string): CompiledRule | undefined {
  const slash = text.indexOf('/');
  const addressEnd = slash === -1 ? text.length : slash;
  let prefix = slash === -1 ? -1 : parsePrefix(text, slash + 1, text.length);
  if (slash !== -1 && prefix === INVALID) return undefined;

  const v4 = parseIpv4(text, 0, addressEnd);
  if (v4 !== INVALID) {
    if (prefix === -1) prefix = 32;
    return prefix > 32 ? undefined : v4Rule(v4, prefix);
  }

  const words: Ipv6Words = { w0: 0, w1: 0, w2: 0, w3: 0 };
  if (!parseIpv6(text, 0, addressEnd, words)) return undefined;
  if (prefix === -1) prefix = 128;
  if (prefix > 128) return undefined;
  if (isIpv4Mapped(words) && prefix >= 96) return v4Rule(words.w3, prefix - 96);
  return v6Rule(words, prefix);
}

function v4Rule(address: number, prefix: number): CompiledRule {
  const m = mask32(prefix);
  const network = (address & m) >>> 0;
  const text = prefix === 32 ? formatIpv4(network) : `${formatIpv4(network)}/${prefix}`;
  return {
    rule: { text, family: 4, prefix },
    network: { w0: 0, w1: 0, w2: 0, w3: network },
    mask: { w0: 0, w1: 0, w2: 0, w3: m },
  };
}

function v6Rule(address: Readonly<Ipv6Words>, prefix: number): CompiledRule {
  const mask: Ipv6Words = {
    w0: mask32(prefix),
    w1: mask32(prefix - 32),
    w2: mask32(prefix - 64),
    w3: mask32(prefix - 96),
  };
  const network: Ipv6Words = {
    w0: (address.w0 & mask.w0) >>> 0,
    w1: (address.w1 & mask.w1) >>> 0,
    w2: (address.w2 & mask.w2) >>> 0,
    w3: (address.w3 & mask.w3) >>> 0,
  };
  const base = formatIpv6(network);
  return { rule: { text: prefix === 128 ? base : `${base}/${prefix}`, family: 6, prefix }, network, mask };
}

/** Decimal 0..999 without sign, spaces or leading zeros ('08' is refused, '0' is fine). */
function parsePrefix(text: string, start: number, end: number): number {
  const length = end - start;
  if (length < 1 || length > 3) return INVALID;
  if (length > 1 && text.charCodeAt(start) === 48) return INVALID;
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return INVALID;
    value = value * 10 + (c - 48);
  }
  return value;
}
