import type { IpAllowList } from '@keyward/ip-match';
import { compileAllowList, NO_ADDRESSES } from '@keyward/ip-match';

const COMMA = 44;
const SPACE = 32;
const TAB = 9;

/**
 * The address a request came from: the socket peer, unless that peer is a trusted proxy, in which
 * case the right-most X-Forwarded-For entry that is not itself a trusted proxy. Entries left of
 * that one were written by the client and are ignored, so a client cannot claim an address by
 * sending the header itself; nor is the header read at all when an untrusted peer sent it.
 *
 * When every entry is a trusted proxy the left-most one is returned, as proxy-addr (Express)
 * does. An empty entry reached in the walk means a trusted hop did not know its peer: the
 * address is unknown (undefined), which only a key without an IP list accepts.
 *
 * `trustedProxies` should come from `parseTrustedProxies`; an empty list (`any`) trusts no one
 * here, the opposite of its meaning as a key's allow-list, so a forgotten setting fails safe.
 */
export function clientIp(
  socketAddress: string | undefined,
  xForwardedFor: string | string[] | undefined,
  trustedProxies: IpAllowList,
): string | undefined {
  if (socketAddress === undefined) return undefined;
  if (xForwardedFor === undefined || trustedProxies.any || !trustedProxies.allows(socketAddress)) {
    return socketAddress;
  }
  // Repeated headers arrive as an array only from `headersDistinct`; joined, they read as one.
  const header = typeof xForwardedFor === 'string' ? xForwardedFor : xForwardedFor.join(',');
  if (isBlankUpTo(header, header.length)) return socketAddress;
  return rightmostUntrusted(header, trustedProxies);
}

/** Walks a non-blank header from the right; see `clientIp`. */
function rightmostUntrusted(header: string, trusted: IpAllowList): string | undefined {
  let end = header.length;
  let leftmostStart = 0;
  let leftmostEnd = 0;
  for (let i = header.length - 1; i >= -1; i--) {
    if (i !== -1 && header.charCodeAt(i) !== COMMA) continue;
    let start = i + 1;
    let stop = end;
    end = i;
    while (start < stop && isBlank(header.charCodeAt(start))) start++;
    while (stop > start && isBlank(header.charCodeAt(stop - 1))) stop--;
    if (start === stop) return undefined;
    if (!trusted.allowsRange(header, start, stop)) return header.slice(start, stop);
    leftmostStart = start;
    leftmostEnd = stop;
  }
  return header.slice(leftmostStart, leftmostEnd);
}

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB;
}

function isBlankUpTo(text: string, end: number): boolean {
  for (let i = 0; i < end; i++) if (!isBlank(text.charCodeAt(i))) return false;
  return true;
}

/**
 * Reads the trusted-proxy setting: comma-separated addresses and CIDR ranges. Empty or absent
 * means no proxy is trusted (not "any", as an empty allow-list would). A bad entry throws, so a
 * typo stops the service at start-up instead of quietly trusting less or more than intended.
 */
export function parseTrustedProxies(csv: string | undefined): IpAllowList {
  const entries = (csv ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e.length > 0);
  if (entries.length === 0) return NO_ADDRESSES;
  const list = compileAllowList(entries);
  if (list.rejected.length > 0) {
    throw new Error(`Trusted proxies: not an IP address or CIDR range: ${list.rejected.join(', ')}`);
  }
  return list;
}
