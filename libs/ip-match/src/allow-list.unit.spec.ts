import { compileAllowList, NO_ADDRESSES } from './allow-list';

describe('compileAllowList', () => {
  describe('an empty list', () => {
    const list = compileAllowList([]);

    it('allows any address, even one that does not parse', () => {
      expect(list.any).toBe(true);
      expect(list.allows('192.0.2.7')).toBe(true);
      expect(list.allows('2001:db8::1')).toBe(true);
      expect(list.allows('not an address')).toBe(true);
    });
  });

  describe('IPv4', () => {
    const list = compileAllowList(['192.0.2.7', '10.0.0.0/8', '198.51.100.6/31']);

    it.each([
      ['192.0.2.7', true],
      ['192.0.2.8', false],
      ['10.0.0.0', true],
      ['10.255.255.255', true],
      ['11.0.0.0', false],
      ['9.255.255.255', false],
      ['198.51.100.6', true],
      ['198.51.100.7', true],
      ['198.51.100.5', false],
      ['198.51.100.8', false],
    ])('%s -> %p', (address, allowed) => {
      expect(list.allows(address)).toBe(allowed);
    });

    it('is not the any-list', () => {
      expect(list.any).toBe(false);
    });
  });

  describe('IPv4 boundaries', () => {
    it('/0 allows every IPv4 address, including mapped ones, but no other IPv6', () => {
      const list = compileAllowList(['0.0.0.0/0']);
      expect(list.allows('0.0.0.0')).toBe(true);
      expect(list.allows('255.255.255.255')).toBe(true);
      expect(list.allows('::ffff:8.8.8.8')).toBe(true);
      expect(list.allows('2001:db8::1')).toBe(false);
      expect(list.allows('::1')).toBe(false);
    });

    it('/32 allows exactly one address', () => {
      const list = compileAllowList(['203.0.113.9/32']);
      expect(list.allows('203.0.113.9')).toBe(true);
      expect(list.allows('203.0.113.8')).toBe(false);
      expect(list.allows('203.0.113.10')).toBe(false);
    });

    it('matches at the top of the address space, where the sign bit is set', () => {
      const list = compileAllowList(['255.255.255.254/31', '128.0.0.0/1']);
      expect(list.allows('255.255.255.255')).toBe(true);
      expect(list.allows('128.0.0.0')).toBe(true);
      expect(list.allows('127.255.255.255')).toBe(false);
    });
  });

  describe('IPv6', () => {
    const list = compileAllowList(['2001:db8::/32', '2001:db8:ffff::1', 'fd00:1:2:3::/127']);

    it.each([
      ['2001:db8::1', true],
      ['2001:DB8:0:0:0:0:0:1', true],
      ['2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', true],
      ['2001:db9::', false],
      ['2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', false],
      ['fd00:1:2:3::', true],
      ['fd00:1:2:3::1', true],
      ['fd00:1:2:3::2', false],
      ['fd00:1:2:2:ffff:ffff:ffff:ffff', false],
      ['::1', false],
      ['192.0.2.7', false],
    ])('%s -> %p', (address, allowed) => {
      expect(list.allows(address)).toBe(allowed);
    });

    it('/128 allows exactly one address, whatever its spelling', () => {
      const single = compileAllowList(['2001:db8::1/128']);
      expect(single.allows('2001:db8::1')).toBe(true);
      expect(single.allows('2001:0db8:0000:0000:0000:0000:0000:0001')).toBe(true);
      expect(single.allows('2001:db8::2')).toBe(false);
      expect(single.allows('2001:db8::')).toBe(false);
    });

    it('::1 matches the IPv6 loopback only', () => {
      const loopback = compileAllowList(['::1']);
      expect(loopback.allows('::1')).toBe(true);
      expect(loopback.allows('127.0.0.1')).toBe(false);
    });

    it('::/0 allows every address, IPv4 ones included since it contains the mapped range', () => {
      const all = compileAllowList(['::/0']);
      expect(all.any).toBe(false);
      expect(all.allows('2001:db8::1')).toBe(true);
      expect(all.allows('192.0.2.7')).toBe(true);
      expect(all.allows('garbage')).toBe(false);
    });
  });

  describe('IPv4-mapped addresses', () => {
    it('match IPv4 rules the way Node reports a dual-stack socket peer', () => {
      const list = compileAllowList(['127.0.0.1', '10.0.0.0/8']);
      expect(list.allows('::ffff:127.0.0.1')).toBe(true);
      expect(list.allows('::ffff:7f00:1')).toBe(true);
      expect(list.allows('::ffff:10.20.30.40')).toBe(true);
      expect(list.allows('::ffff:11.0.0.1')).toBe(false);
    });

    it('let a mapped rule match a plain IPv4 address', () => {
      const list = compileAllowList(['::ffff:192.0.2.0/120']);
      expect(list.rules).toEqual([{ text: '192.0.2.0/24', family: 4, prefix: 24 }]);
      expect(list.allows('192.0.2.200')).toBe(true);
      expect(list.allows('::ffff:192.0.2.1')).toBe(true);
      expect(list.allows('192.0.3.1')).toBe(false);
    });

    it('do not confuse an IPv4-compatible address (::a.b.c.d) with a mapped one', () => {
      const list = compileAllowList(['192.0.2.7']);
      expect(list.allows('::192.0.2.7')).toBe(false);
    });
  });

  describe('addresses that do not parse', () => {
    const list = compileAllowList(['0.0.0.0/0', '::/0']);

    it.each(['', 'localhost', '1.2.3', '01.2.3.4', 'fe80::1%eth0', '[::1]', '1.2.3.4:80', ' 1.2.3.4', 'unknown'])(
      'refuses %p even against a list covering everything',
      (address) => {
        expect(list.allows(address)).toBe(false);
      },
    );
  });

  describe('malformed entries', () => {
    it('are reported and match nothing, so a list of only bad entries allows nothing', () => {
      const list = compileAllowList(['10.0.0.0/33', 'nope']);
      expect(list.any).toBe(false);
      expect(list.rejected).toEqual(['10.0.0.0/33', 'nope']);
      expect(list.rules).toEqual([]);
      expect(list.allows('10.0.0.1')).toBe(false);
    });

    it('do not stop the valid entries beside them from matching', () => {
      const list = compileAllowList(['bad', '10.0.0.0/8']);
      expect(list.allows('10.1.1.1')).toBe(true);
      expect(list.rejected).toEqual(['bad']);
    });
  });

  it('canonicalises its rules', () => {
    expect(compileAllowList(['10.1.2.3/8', '2001:DB8::1/32']).rules.map((r) => r.text)).toEqual([
      '10.0.0.0/8',
      '2001:db8::/32',
    ]);
  });

  it('tests a range of a longer text without cutting it out', () => {
    const list = compileAllowList(['10.0.0.0/8', '2001:db8::/32']);
    const header = '203.0.113.1, 10.0.0.2, 2001:db8::7';
    expect(list.allowsRange(header, 0, 11)).toBe(false);
    expect(list.allowsRange(header, 13, 21)).toBe(true);
    expect(list.allowsRange(header, 23, header.length)).toBe(true);
  });
});

describe('NO_ADDRESSES', () => {
  it('allows nothing, unlike an empty list', () => {
    expect(NO_ADDRESSES.any).toBe(false);
    expect(NO_ADDRESSES.allows('127.0.0.1')).toBe(false);
    expect(NO_ADDRESSES.allows('::1')).toBe(false);
  });
});
