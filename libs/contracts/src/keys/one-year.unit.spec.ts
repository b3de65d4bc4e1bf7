import { addOneYear, maxExpiryAt } from './one-year';

const iso = (text: string): string => addOneYear(new Date(text)).toISOString();

describe('addOneYear', () => {
  it('moves an ordinary date to the same date next year', () => {
    expect(iso('2027-06-15T10:00:00.000Z')).toBe('2028-06-15T10:00:00.000Z');
  });

  it('moves 29 February to 28 February, never into March', () => {
    expect(iso('2028-02-29T12:00:00.000Z')).toBe('2029-02-28T12:00:00.000Z');
  });

  it('moves 28 February to 28 February, even when next year is a leap year', () => {
    expect(iso('2027-02-28T08:00:00.000Z')).toBe('2028-02-28T08:00:00.000Z');
    expect(iso('2028-02-28T08:00:00.000Z')).toBe('2029-02-28T08:00:00.000Z');
  });

  it('moves 31 December to 31 December', () => {
    expect(iso('2027-12-31T23:59:59.999Z')).toBe('2028-12-31T23:59:59.999Z');
  });

  it('moves 1 March to 1 March across a leap day', () => {
    expect(iso('2027-03-01T00:00:00.000Z')).toBe('2028-03-01T00:00:00.000Z');
  });

  it('keeps the time of day to the millisecond, in UTC', () => {
    expect(iso('2027-06-15T23:30:45.678Z')).toBe('2028-06-15T23:30:45.678Z');
    expect(iso('2027-06-15T00:30:00+02:00')).toBe('2028-06-14T22:30:00.000Z');
  });

  it('does not change the date it was given', () => {
    const from = new Date('2027-06-15T10:00:00.000Z');
    addOneYear(from);
    expect(from.toISOString()).toBe('2027-06-15T10:00:00.000Z');
  });
});

describe('maxExpiryAt', () => {
  it('is one year from now, by the one definition', () => {
    const now = new Date('2028-02-29T12:00:00.000Z');
    expect(maxExpiryAt(now).toISOString()).toBe(addOneYear(now).toISOString());
  });
});
