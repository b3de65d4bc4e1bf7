import type { Ipv6Words } from './ipv6';
import { formatIpv6, parseIpv6 } from './ipv6';

function parse(text: string): Ipv6Words | undefined {
  const out: Ipv6Words = { w0: 0, w1: 0, w2: 0, w3: 0 };
  return parseIpv6(text, 0, text.length, out) ? out : undefined;
}

const words = (w0: number, w1: number, w2: number, w3: number): Ipv6Words => ({ w0, w1, w2, w3 });

describe('parseIpv6', () => {
  it.each<[string, Ipv6Words]>([
    ['::', words(0, 0, 0, 0)],
    ['::1', words(0, 0, 0, 1)],
    ['1::', words(0x00010000, 0, 0, 0)],
    ['2001:db8::1', words(0x20010db8, 0, 0, 1)],
    ['2001:DB8::1', words(0x20010db8, 0, 0, 1)],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', words(0x20010db8, 0, 0, 1)],
    ['2001:db8:0:0:1::', words(0x20010db8, 0, 0x00010000, 0)],
    ['2001:db8::1:0:0:1', words(0x20010db8, 0, 0x00010000, 1)],
    ['1:2:3:4:5:6:7::', words(0x00010002, 0x00030004, 0x00050006, 0x00070000)],
    ['::2:3:4:5:6:7:8', words(0x00000002, 0x00030004, 0x00050006, 0x00070008)],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', words(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff)],
    ['::ffff:192.0.2.1', words(0, 0, 0xffff, 0xc0000201)],
    ['::FFFF:127.0.0.1', words(0, 0, 0xffff, 0x7f000001)],
    ['0:0:0:0:0:ffff:c000:201', words(0, 0, 0xffff, 0xc0000201)],
    ['1:2:3:4:5:6:1.2.3.4', words(0x00010002, 0x00030004, 0x00050006, 0x01020304)],
    ['::1.2.3.4', words(0, 0, 0, 0x01020304)],
  ])('reads %s', (text, expected) => {
    expect(parse(text)).toEqual(expected);
  });

  it.each([
    '', ':', ':::', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', '::g', '1:', ':1',
    '1:::2', 'fe80::1%eth0', '::1 ', '::ffff:1.2.3', '::ffff:1.2.3.4:5', '::ffff:01.2.3.4',
    '1:2:3:4:5:6:7:1.2.3.4', '1:2:3:4:5:6:7:8::', '::1:2:3:4:5:6:7:8', '[::1]', '1.2.3.4',
  ])('refuses %p', (text) => {
    expect(parse(text)).toBeUndefined();
  });

  it('accepts :: standing for a single zero group', () => {
    expect(parse('1:2:3:4:5:6::8')).toEqual(words(0x00010002, 0x00030004, 0x00050006, 0x00000008));
  });
});

describe('formatIpv6', () => {
  it.each<[Ipv6Words, string]>([
    [words(0, 0, 0, 0), '::'],
    [words(0, 0, 0, 1), '::1'],
    [words(0x20010db8, 0, 0, 1), '2001:db8::1'],
    [words(0x20010db8, 0, 0x00010000, 1), '2001:db8::1:0:0:1'],
    [words(0x20010db8, 0x00000001, 0x00010001, 0x00010001), '2001:db8:0:1:1:1:1:1'],
    [words(0x20010000, 0x00000001, 0, 1), '2001:0:0:1::1'],
    [words(0x20010db8, 0, 0x00010001, 0), '2001:db8::1:1:0:0'],
    [words(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff), 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ])('writes RFC 5952 text for %p', (input, expected) => {
    expect(formatIpv6(input)).toBe(expected);
  });
});
