import { compileAllowList } from '@keyward/ip-match';
import { clientIp, parseTrustedProxies } from './client-ip';

const EDGE = '10.0.0.1';
const trusted = parseTrustedProxies('10.0.0.0/8, fd00::/8');

describe('clientIp', () => {
  it('is the socket address when no X-Forwarded-For is sent', () => {
    expect(clientIp('203.0.113.5', undefined, trusted)).toBe('203.0.113.5');
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', () => {
    expect(clientIp('203.0.113.5', '198.51.100.1', trusted)).toBe('203.0.113.5');
  });

  it('ignores X-Forwarded-For entirely when no proxy is configured', () => {
    expect(clientIp(EDGE, '198.51.100.1', parseTrustedProxies(undefined))).toBe(EDGE);
    expect(clientIp(EDGE, '198.51.100.1', parseTrustedProxies(''))).toBe(EDGE);
  });

  it('trusts no one when handed an empty allow-list, which elsewhere means any address', () => {
    expect(clientIp(EDGE, '198.51.100.1', compileAllowList([]))).toBe(EDGE);
  });

  it('takes the entry a trusted proxy appended', () => {
    expect(clientIp(EDGE, '198.51.100.1', trusted)).toBe('198.51.100.1');
  });

  it('ignores the client-supplied entries left of the one the proxy appended', () => {
    expect(clientIp(EDGE, '6.6.6.6, 198.51.100.1', trusted)).toBe('198.51.100.1');
  });

  it('is not fooled by a client that claims to be behind a trusted proxy', () => {
    expect(clientIp(EDGE, '10.9.9.9, 198.51.100.1', trusted)).toBe('198.51.100.1');
  });

  it('walks from the right past every trusted hop', () => {
    expect(clientIp(EDGE, '6.6.6.6, 198.51.100.1, 10.0.0.3, fd00::7', trusted)).toBe('198.51.100.1');
  });

  it('answers the left-most entry when every entry is a trusted proxy', () => {
    expect(clientIp(EDGE, '10.0.0.9, 10.0.0.3', trusted)).toBe('10.0.0.9');
  });

  it('reads IPv6 entries and an IPv4-mapped proxy address', () => {
    expect(clientIp('::ffff:10.0.0.1', '2001:db8::5', trusted)).toBe('2001:db8::5');
    expect(clientIp('fd00::1', '198.51.100.1', trusted)).toBe('198.51.100.1');
  });

  it('trims blanks around entries', () => {
    expect(clientIp(EDGE, ' 6.6.6.6 ,\t198.51.100.1\t', trusted)).toBe('198.51.100.1');
  });

  it('reads a repeated header given as an array, last header last', () => {
    expect(clientIp(EDGE, ['6.6.6.6', '198.51.100.1, 10.0.0.3'], trusted)).toBe('198.51.100.1');
  });

  it('falls back to the socket address for a blank header', () => {
    expect(clientIp(EDGE, '', trusted)).toBe(EDGE);
    expect(clientIp(EDGE, '  ', trusted)).toBe(EDGE);
  });

  it('is unknown when a trusted hop wrote an empty entry, rather than reading further left', () => {
    expect(clientIp(EDGE, '198.51.100.1, ', trusted)).toBeUndefined();
    expect(clientIp(EDGE, '6.6.6.6,, 10.0.0.3', trusted)).toBeUndefined();
  });

  it('returns a garbage entry as is, so it fails every IP list instead of falling back further left', () => {
    expect(clientIp(EDGE, '10.0.0.5, unknown', trusted)).toBe('unknown');
  });

  it('is unknown without a socket address', () => {
    expect(clientIp(undefined, '198.51.100.1', trusted)).toBeUndefined();
  });
});

describe('parseTrustedProxies', () => {
  it('reads addresses and ranges, separated by commas with optional blanks', () => {
    const list = parseTrustedProxies(' 10.0.0.0/8 ,192.0.2.7,, ::1 ');
    expect(list.rules.map((r) => r.text)).toEqual(['10.0.0.0/8', '192.0.2.7', '::1']);
    expect(list.allows('10.2.3.4')).toBe(true);
    expect(list.allows('::1')).toBe(true);
    expect(list.allows('192.0.2.8')).toBe(false);
  });

  it.each([undefined, '', ' , '])('trusts nothing for %p', (csv) => {
    const list = parseTrustedProxies(csv);
    expect(list.any).toBe(false);
    expect(list.allows('127.0.0.1')).toBe(false);
  });

  it('throws on an entry that is not an address, naming it', () => {
    expect(() => parseTrustedProxies('10.0.0.0/8, edge.internal')).toThrow(/edge\.internal/);
  });
});
