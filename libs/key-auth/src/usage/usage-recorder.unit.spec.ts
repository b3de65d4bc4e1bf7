import type { KeySlots } from '../projection/key-slots';
import { UsageRecorder } from './usage-recorder';

const T0 = Date.parse('2026-12-01T12:00:00.000Z');
const totals = (r: { counts: readonly { operation: string; outcome: string; count: number }[] }): Record<string, number> =>
  Object.fromEntries(r.counts.map((c) => [`${c.operation} ${c.outcome}`, c.count]));

describe('UsageRecorder', () => {
  it('counts per key, operation and outcome within a minute, as running totals with a growing report number', () => {
    const rec = new UsageRecorder();
    rec.record('key_a', 'acc_1', 'GET /v1/devices', 'ok', '10.0.0.1', T0 + 1000);
    rec.record('key_a', 'acc_1', 'GET /v1/devices', 'ok', '10.0.0.1', T0 + 2000);
    rec.record('key_a', 'acc_1', 'POST /v1/devices', 'permission_denied', '10.0.0.2', T0 + 3000);
    rec.record('key_b', 'acc_2', 'GET /v1/devices', 'key_disabled', undefined, T0 + 4000);
    const first = rec.take(T0 + 5000);
    expect(first.map((r) => [r.keyId, r.seq, totals(r)])).toEqual([
      ['key_a', 1, { 'GET /v1/devices ok': 2, 'POST /v1/devices permission_denied': 1 }],
      ['key_b', 1, { 'GET /v1/devices key_disabled': 1 }],
    ]);
    expect(first[0]).toMatchObject({ accountId: 'acc_1', windowMs: T0, lastAtMs: T0 + 3000, lastOperation: 'POST /v1/devices', lastAddress: '10.0.0.2' });
    rec.settle(first, true);
    expect(rec.take(T0 + 6000)).toEqual([]);
    rec.record('key_a', 'acc_1', 'GET /v1/devices', 'ok', '10.0.0.1', T0 + 7000);
    const second = rec.take(T0 + 8000);
    expect(second.map((r) => [r.keyId, r.seq, totals(r)])).toEqual([['key_a', 2, { 'GET /v1/devices ok': 3, 'POST /v1/devices permission_denied': 1 }]]);
  });

  it('starts a new window each minute and reports the old one until it is published', () => {
    const rec = new UsageRecorder();
    rec.record('key_a', 'acc_1', 'GET /v1/devices', 'ok', undefined, T0 + 59_999);
    rec.record('key_a', 'acc_1', 'GET /v1/devices', 'ok', undefined, T0 + 60_000);
    const reports = rec.take(T0 + 61_000);
    expect(reports.map((r) => [r.windowMs - T0, totals(r)])).toEqual([[0, { 'GET /v1/devices ok': 1 }], [60_000, { 'GET /v1/devices ok': 1 }]]);
    rec.settle(reports, false);
    const again = rec.take(T0 + 62_000);
    expect(again.map((r) => [r.windowMs - T0, r.seq])).toEqual([[0, 2], [60_000, 2]]);
    rec.settle(again, true);
    expect(rec.pending).toBe(0);
    expect(rec.take(T0 + 63_000)).toEqual([]);
  });

  it('closes the window of a key no longer used when the minute is over', () => {
    const rec = new UsageRecorder();
    rec.record('key_a', 'acc_1', 'GET /v1/devices', 'ok', undefined, T0);
    rec.settle(rec.take(T0 + 10), true);
    rec.record('key_a', 'acc_1', 'GET /v1/devices', 'ok', undefined, T0 + 20);
    const late = rec.take(T0 + 120_000);
    expect(late.map((r) => [r.windowMs, r.seq, totals(r)])).toEqual([[T0, 2, { 'GET /v1/devices ok': 2 }]]);
    rec.settle(late, true);
    rec.record('key_a', 'acc_1', 'GET /v1/devices', 'ok', undefined, T0 + 120_001);
    expect(rec.take(T0 + 120_002).map((r) => [r.windowMs - T0, r.seq, totals(r)])).toEqual([[120_000, 1, { 'GET /v1/devices ok': 1 }]]);
  });

  it('keeps counting into a report whose publish failed, so nothing counted is lost', () => {
    const rec = new UsageRecorder();
    rec.record('key_a', 'acc_1', 'GET /v1/devices', 'ok', undefined, T0);
    const failed = rec.take(T0 + 1);
    rec.record('key_a', 'acc_1', 'GET /v1/devices', 'ok', undefined, T0 + 2);
    rec.settle(failed, false);
    const next = rec.take(T0 + 3);
    expect(next.map((r) => [r.seq, totals(r)])).toEqual([[2, { 'GET /v1/devices ok': 2 }]]);
  });

  describe('with the key\'s entry slots (as the request path passes them)', () => {
    const slotsOf = (): KeySlots => ({ rate: undefined, usage: undefined });

    it('counts through the entry as through its own Map, and a closed window is not counted into again', () => {
      const rec = new UsageRecorder();
      const entry = slotsOf();
      rec.record('key_a', 'acc_1', 'GET /v1/devices', 'ok', undefined, T0 + 1000, entry);
      rec.record('key_a', 'acc_1', 'GET /v1/devices', 'ok', undefined, T0 + 2000, entry);
      // The same key without its entry (another path) lands in the same bucket.
      rec.record('key_a', 'acc_1', 'GET /v1/devices', 'ok', undefined, T0 + 3000);
      expect(entry.usage?.windowMs).toBe(T0);
      // take() closes the ended window; the entry still holds that bucket, which must not count the next minute.
      const first = rec.take(T0 + 60_500);
      expect(first.map((r) => [r.windowMs - T0, totals(r)])).toEqual([[0, { 'GET /v1/devices ok': 3 }]]);
      rec.settle(first, true);
      rec.record('key_a', 'acc_1', 'GET /v1/devices', 'permission_denied', undefined, T0 + 61_000, entry);
      expect(entry.usage?.windowMs).toBe(T0 + 60_000);
      expect(rec.take(T0 + 62_000).map((r) => [r.windowMs - T0, r.seq, totals(r)])).toEqual([[60_000, 1, { 'GET /v1/devices permission_denied': 1 }]]);
    });

    it('leaves an entry slot another recorder holds to that recorder, each counting its own', () => {
      const edge = new UsageRecorder();
      const service = new UsageRecorder();
      const entry = slotsOf();
      edge.record('key_a', 'acc_1', 'GET /v1/devices', 'ok', undefined, T0, entry);
      const held = entry.usage;
      for (let i = 0; i < 3; i++) service.record('key_a', 'acc_1', 'GET /v1/devices', 'ok', undefined, T0 + i, entry);
      expect(entry.usage).toBe(held);
      expect(edge.take(T0 + 10).map(totals)).toEqual([{ 'GET /v1/devices ok': 1 }]);
      expect(service.take(T0 + 10).map(totals)).toEqual([{ 'GET /v1/devices ok': 3 }]);
    });
  });
});
