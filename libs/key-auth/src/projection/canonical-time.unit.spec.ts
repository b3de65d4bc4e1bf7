import { isCanonicalIsoTime } from './canonical-time';

/** What the check replaces: formatting the parsed time and comparing. */
function byFormatting(text: string): boolean {
  const ms = Date.parse(text);
  return Number.isFinite(ms) && new Date(ms).toISOString() === text;
}

describe('isCanonicalIsoTime', () => {
  it('agrees with toISOString on edge cases: month ends, leap years, hour 24, out-of-range fields, other forms', () => {
    const cases = [
      '2026-02-28T23:59:59.999Z', '2026-02-29T00:00:00.000Z', '2024-02-29T00:00:00.000Z', '2100-02-29T00:00:00.000Z', '2000-02-29T00:00:00.000Z',
      '2026-04-30T00:00:00.000Z', '2026-04-31T00:00:00.000Z', '2026-12-31T23:59:59.999Z', '2026-13-01T00:00:00.000Z', '2026-00-10T00:00:00.000Z',
      '2026-01-00T00:00:00.000Z', '2026-01-01T24:00:00.000Z', '2026-01-01T23:60:00.000Z', '2026-01-01T23:00:60.000Z', '0000-01-01T00:00:00.000Z',
      '9999-12-31T23:59:59.999Z', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00.000+00:00', '2026-01-01 00:00:00.000Z', '2026-01-01T00:00:00.000z',
      '+002026-01-01T00:00:00.000Z', '2026-1-01T00:00:00.000Z0', '', 'not a date at all, no....',
    ];
    for (const text of cases) expect([text, isCanonicalIsoTime(text, Date.parse(text))]).toEqual([text, byFormatting(text)]);
  });

  it('agrees with toISOString on 20,000 random times from 1970 to 2200, and on their day-rolled variants', () => {
    let seed = 7;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 20_000; i++) {
      const text = new Date(Math.floor(next() * 7_258_118_400_000)).toISOString();
      expect(isCanonicalIsoTime(text, Date.parse(text))).toBe(true);
      const rolled = `${text.slice(0, 8)}${String(28 + (i % 4)).padStart(2, '0')}${text.slice(10)}`;
      expect([rolled, isCanonicalIsoTime(rolled, Date.parse(rolled))]).toEqual([rolled, byFormatting(rolled)]);
    }
  });
});
