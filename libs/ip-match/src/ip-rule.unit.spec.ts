import { parseIpRule } from './ip-rule';

describe('parseIpRule', () => {
  it.each([
    ['192.0.2.7', '192.0.2.7', 4, 32],
    ['192.0.2.7/32', '192.0.2.7', 4, 32],
    ['10.0.0.0/8', '10.0.0.0/8', 4, 8],
    ['0.0.0.0/0', '0.0.0.0/0', 4, 0],
    ['192.0.2.6/31', '192.0.2.6/31', 4, 31],
    ['2001:db8::/32', '2001:db8::/32', 6, 32],
    ['2001:0DB8:0000::/32', '2001:db8::/32', 6, 32],
    ['2001:db8::1', '2001:db8::1', 6, 128],
    ['2001:db8::1/128', '2001:db8::1', 6, 128],
    ['::/0', '::/0', 6, 0],
    ['::1', '::1', 6, 128],
    ['2001:db8::/127', '2001:db8::/127', 6, 127],
  ])('reads %s as %s', (input, text, family, prefix) => {
    expect(parseIpRule(input)).toEqual({ text, family, prefix });
  });

  describe('host bits', () => {
    it.each([
      ['10.1.2.3/8', '10.0.0.0/8'],
      ['192.0.2.7/31', '192.0.2.6/31'],
      ['192.0.2.255/24', '192.0.2.0/24'],
      ['255.255.255.255/0', '0.0.0.0/0'],
      ['2001:db8:1:2::5/32', '2001:db8::/32'],
      ['2001:db8::1/127', '2001:db8::/127'],
      ['2001:db8:ffff:ffff:ffff:ffff:ffff:ffff/64', '2001:db8:ffff:ffff::/64'],
      ['ffff::1/0', '::/0'],
    ])('canonicalises %s to the network address %s', (input, text) => {
      expect(parseIpRule(input)?.text).toBe(text);
    });
  });

  describe('IPv4-mapped IPv6', () => {
    it.each([
      ['::ffff:192.0.2.7', '192.0.2.7', 32],
      ['::FFFF:c000:207', '192.0.2.7', 32],
      ['::ffff:192.0.2.7/128', '192.0.2.7', 32],
      ['::ffff:10.0.0.0/104', '10.0.0.0/8', 8],
      ['::ffff:0:0/96', '0.0.0.0/0', 0],
      ['0:0:0:0:0:ffff:10.9.8.7/120', '10.9.8.0/24', 24],
    ])('normalises %s to the IPv4 rule %s', (input, text, prefix) => {
      expect(parseIpRule(input)).toEqual({ text, family: 4, prefix });
    });

    it('keeps a mapped range wider than /96 as IPv6, since it reaches outside the IPv4 space', () => {
      expect(parseIpRule('::ffff:0:0/95')).toEqual({ text: '::fffe:0:0/95', family: 6, prefix: 95 });
    });
  });

  it.each([
    '',
    ' ',
    '10.0.0.0/',
    '/8',
    '10.0.0.0/33',
    '10.0.0.0/-1',
    '10.0.0.0/08',
    '10.0.0.0/8/8',
    '10.0.0.0/ 8',
    '10.0.0.0/8 ',
    ' 10.0.0.0/8',
    '256.1.1.1',
    '1.2.3',
    '1.2.3.4.5',
    '010.0.0.1',
    '1.2.3.04',
    '10.0.0.0/1000',
    '2001:db8::/129',
    '2001:db8::/0x20',
    'fe80::1%eth0',
    'fe80::1%eth0/64',
    '2001:db8:::1',
    '2001:db8::1::1',
    '12345::',
    '::ffff:1.2.3.256',
    '[2001:db8::1]',
    'localhost',
    '10.0.0.0/8,10.0.0.1',
    '*',
  ])('refuses the malformed entry %p', (input) => {
    expect(parseIpRule(input)).toBeUndefined();
  });
});
