import { formatIpv4, INVALID, parseIpv4 } from './ipv4';

const parse = (text: string): number => parseIpv4(text, 0, text.length);

describe('parseIpv4', () => {
  it.each([
    ['0.0.0.0', 0],
    ['127.0.0.1', 0x7f000001],
    ['192.0.2.7', 0xc0000207],
    ['255.255.255.255', 0xffffffff],
    ['10.0.0.0', 0x0a000000],
  ])('reads %s as an unsigned 32-bit number', (text, expected) => {
    expect(parse(text)).toBe(expected);
  });

  it.each([
    '', '1', '1.2.3', '1.2.3.4.5', '256.0.0.1', '1.2.3.256', '01.2.3.4', '1.2.3.04', '1.2.3.00',
    '1..3.4', '.1.2.3', '1.2.3.', '1.2.3.4 ', ' 1.2.3.4', '1.2.3.-4', '1.2.3.0x4', '1234.1.1.1', '1.2.3.4/8',
  ])('refuses %p', (text) => {
    expect(parse(text)).toBe(INVALID);
  });

  it('parses a range inside a longer text without cutting it out', () => {
    expect(parseIpv4('for=10.1.2.3;', 4, 12)).toBe(0x0a010203);
  });
});

describe('formatIpv4', () => {
  it('writes dotted-quad text, including the top bit', () => {
    expect(formatIpv4(0xc0000207)).toBe('192.0.2.7');
    expect(formatIpv4(0xffffffff)).toBe('255.255.255.255');
    expect(formatIpv4(0)).toBe('0.0.0.0');
  });
});
