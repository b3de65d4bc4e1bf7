import { ProblemError } from '@keyward/problem';
import { documentStarts, keyUsage, usageRange } from './usage-query';

const NOW = Date.parse('2026-12-01T12:34:56.000Z');

function code(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    return e instanceof ProblemError ? e.code : String(e);
  }
}

describe('usage ranges', () => {
  it('defaults to the last day by hour, rounded out to whole hours', () => {
    const r = usageRange({}, NOW);
    expect([new Date(r.fromMs).toISOString(), new Date(r.toMs).toISOString(), r.granularity]).toEqual(['2026-11-30T13:00:00.000Z', '2026-12-01T13:00:00.000Z', 'hour']);
  });

  it('rounds from down and to up to the granularity', () => {
    const r = usageRange({ from: '2026-12-01T12:00:30Z', to: '2026-12-01T12:03:01Z', granularity: 'minute' }, NOW);
    expect([new Date(r.fromMs).toISOString(), new Date(r.toMs).toISOString()]).toEqual(['2026-12-01T12:00:00.000Z', '2026-12-01T12:04:00.000Z']);
  });

  it('refuses an empty range and one longer than its granularity allows, each with its code', () => {
    expect(code(() => usageRange({ from: '2026-12-02T00:00:00Z', to: '2026-12-01T00:00:00Z' }, NOW))).toBe('invalid_usage_range');
    expect(code(() => usageRange({ from: '2026-11-30T00:00:00Z', to: '2026-12-01T00:00:01Z', granularity: 'minute' }, NOW))).toBe('usage_range_too_long');
    expect(code(() => usageRange({ from: '2026-11-30T00:00:00Z', to: '2026-12-01T00:00:00Z', granularity: 'minute' }, NOW))).toBeUndefined();
    expect(code(() => usageRange({ from: '2026-06-01T00:00:00Z', granularity: 'day' }, NOW))).toBe('usage_range_too_long');
  });

  it('reads hour documents for minutes and day documents otherwise, no more than the range needs', () => {
    expect(documentStarts(usageRange({ from: '2026-12-01T10:30:00Z', to: '2026-12-01T12:10:00Z', granularity: 'minute' }, NOW)).hours.length).toBe(3);
    expect(documentStarts(usageRange({ from: '2026-11-29T23:00:00Z', to: '2026-12-01T01:00:00Z', granularity: 'hour' }, NOW)).days.length).toBe(3);
  });

  it('sums every source per bucket and leaves out counts outside the range or of another account', () => {
    const range = usageRange({ from: '2026-12-01T12:00:00Z', to: '2026-12-01T12:02:00Z', granularity: 'minute' }, NOW);
    const hour = Date.parse('2026-12-01T12:00:00Z');
    const c = (count: number, outcome = 'ok') => [{ operation: 'GET /v1/devices', outcome, count }];
    const usage = keyUsage('key_1', 'acc_1', range, [
      { _id: 'key_1|2026-12-01T12', keyId: 'key_1', accountId: 'acc_1', hour: new Date(hour), entries: [
        { w: hour, s: 'edge/a/1', q: 1, c: c(2, 'permission_denied') },
        { w: hour, s: 'devices/a/1', q: 3, c: c(5) },
        { w: hour + 60_000, s: 'devices/a/1', q: 1, c: c(1) },
        { w: hour + 120_000, s: 'devices/a/1', q: 1, c: c(9) },
      ] },
      { _id: 'key_1|2026-12-01T12', keyId: 'key_1', accountId: 'acc_2', hour: new Date(hour), entries: [{ w: hour, s: 'x', q: 1, c: c(100) }] },
    ], []);
    expect(usage.total).toBe(8);
    expect(usage.buckets).toEqual([
      { start: '2026-12-01T12:00:00.000Z', counts: [{ operation: 'GET /v1/devices', outcome: 'ok', count: 5 }, { operation: 'GET /v1/devices', outcome: 'permission_denied', count: 2 }] },
      { start: '2026-12-01T12:01:00.000Z', counts: [{ operation: 'GET /v1/devices', outcome: 'ok', count: 1 }] },
    ]);
  });
});
