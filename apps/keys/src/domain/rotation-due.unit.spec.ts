import type { ApiKeyState } from './api-key.state';
import { ROTATION_PERIOD_DAYS_DEFAULT, rotationDue } from './rotation-due';

const DAY = 24 * 60 * 60 * 1000;
const CREATED = new Date('2027-01-01T00:00:00.000Z');

type Fields = Pick<ApiKeyState, 'kind' | 'status' | 'createdAt' | 'lastRotatedAt'>;
const key = (overrides: Partial<Fields> = {}): Fields => ({
  kind: 'private',
  status: 'active',
  createdAt: CREATED.toISOString(),
  ...overrides,
});
const after = (ms: number, from: Date = CREATED): Date => new Date(from.getTime() + ms);

describe('rotationDue', () => {
  it('defaults to a 90-day period', () => {
    expect(ROTATION_PERIOD_DAYS_DEFAULT).toBe(90);
  });

  it('is not due at exactly 90 days and is due a millisecond later', () => {
    expect(rotationDue(key(), after(90 * DAY))).toBe(false);
    expect(rotationDue(key(), after(90 * DAY + 1))).toBe(true);
  });

  it('counts from the last rotation once there is one', () => {
    const rotated = after(60 * DAY);
    const state = key({ lastRotatedAt: rotated.toISOString() });
    expect(rotationDue(state, after(91 * DAY))).toBe(false);
    expect(rotationDue(state, after(90 * DAY + 1, rotated))).toBe(true);
  });

  it("honours an account's own period", () => {
    expect(rotationDue(key(), after(31 * DAY), 30)).toBe(true);
    expect(rotationDue(key(), after(29 * DAY), 30)).toBe(false);
  });

  it('never reports a public key', () => {
    expect(rotationDue(key({ kind: 'public' }), after(400 * DAY))).toBe(false);
  });

  it('never reports a revoked key', () => {
    expect(rotationDue(key({ status: 'revoked' }), after(400 * DAY))).toBe(false);
  });

  it('reports disabled and expired private keys that are overdue', () => {
    expect(rotationDue(key({ status: 'disabled' }), after(91 * DAY))).toBe(true);
    expect(rotationDue(key({ status: 'expired' }), after(91 * DAY))).toBe(true);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('refuses a period of %p days', (days) => {
    expect(() => rotationDue(key(), after(DAY), days)).toThrow(RangeError);
  });
});
