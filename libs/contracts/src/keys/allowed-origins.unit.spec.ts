import { compileOriginList, parseOriginRule } from './allowed-origins';

describe('parseOriginRule', () => {
  it.each([
    ['https://shop.example.com', 'https://shop.example.com'],
    ['HTTPS://Shop.Example.COM', 'https://shop.example.com'],
    ['https://shop.example.com:443', 'https://shop.example.com'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['http://[::1]:3000', 'http://[::1]:3000'],
    ['https://bücher.example', 'https://xn--bcher-kva.example'],
    ['https://*.example.com', 'https://*.example.com'],
    ['https://*.Example.com:8443', 'https://*.example.com:8443'],
  ])('takes %s as %s (the form a browser writes in Origin)', (entry, canonical) => {
    expect(parseOriginRule(entry)?.text).toBe(canonical);
  });

  it.each([
    ['a path', 'https://shop.example.com/'],
    ['a longer path', 'https://shop.example.com/app'],
    ['a query', 'https://shop.example.com?x=1'],
    ['credentials', 'https://user@shop.example.com'],
    ['another scheme', 'ftp://shop.example.com'],
    ['no scheme', 'shop.example.com'],
    ['a bare star', '*'],
    ['the null origin', 'null'],
    ['a wildcard over a top-level domain', 'https://*.com'],
    ['a wildcard in the middle', 'https://shop.*.example.com'],
    ['a wildcard over addresses', 'https://*.0.0.1'],
    ['a star inside a label', 'https://sh*p.example.com'],
    ['nothing', ''],
    ['far too much', `https://${'a'.repeat(300)}.com`],
  ])('refuses %s', (_what, entry) => {
    expect(parseOriginRule(entry)).toBeUndefined();
  });
});

describe('compileOriginList', () => {
  const list = compileOriginList(['https://shop.example.com', 'https://*.widgets.example.org', 'http://127.0.0.1:8080']);

  it('lets any origin through when the list is empty', () => {
    const any = compileOriginList([]);
    expect(any.any).toBe(true);
    expect(any.allows('https://anything.example')).toBe(true);
  });

  it('matches exact origins exactly, port and scheme included', () => {
    expect(list.any).toBe(false);
    expect(list.allows('https://shop.example.com')).toBe(true);
    expect(list.allows('http://shop.example.com')).toBe(false);
    expect(list.allows('https://shop.example.com:8443')).toBe(false);
    expect(list.allows('http://127.0.0.1:8080')).toBe(true);
    expect(list.allows('http://127.0.0.1:8081')).toBe(false);
    expect(list.allows('null')).toBe(false);
  });

  it('matches a wildcard on subdomains of any depth, never the domain itself or a look-alike', () => {
    expect(list.allows('https://a.widgets.example.org')).toBe(true);
    expect(list.allows('https://a.b.widgets.example.org')).toBe(true);
    expect(list.allows('https://widgets.example.org')).toBe(false);
    expect(list.allows('https://evilwidgets.example.org')).toBe(false);
    expect(list.allows('https://a.widgets.example.org.evil.com')).toBe(false);
    expect(list.allows('https://a.widgets.example.org:8443')).toBe(false);
    expect(list.allows('http://a.widgets.example.org')).toBe(false);
    expect(list.allows('https://x/y.widgets.example.org')).toBe(false);
  });
});
