import type { Connection } from 'mongoose';
import type { KeyUsageRecordedEnvelope, UsageCount } from '@keyward/contracts';
import { testDatabase } from '@keyward/testing';
import { documentStarts, keyUsage, usageRange } from './usage-query';
import { UsageRepository } from './usage.repository';

const WINDOW = '2026-12-01T12:34:00.000Z';

function report(source: string, seq: number, counts: UsageCount[], window = WINDOW, lastUsedAt = '2026-12-01T12:34:30.000Z'): KeyUsageRecordedEnvelope {
  return {
    id: `${source}|key_usage1|${window}|${seq}`, type: 'KeyUsageRecorded', schemaVersion: 1, aggregateId: 'key_usage1', accountId: 'acc_1',
    version: seq, occurredAt: lastUsedAt,
    data: { window, source, service: source.split('/')[0] ?? 'edge', instance: 'i1', counts, lastUsedAt, lastOperation: 'GET /v1/devices', lastAddress: '10.0.0.1' },
  };
}

const ok = (count: number): UsageCount => ({ operation: 'GET /v1/devices', outcome: 'ok', count });
const denied = (count: number): UsageCount => ({ operation: 'GET /v1/devices', outcome: 'permission_denied', count });

describe('the usage read model (FerretDB)', () => {
  let db: { connection: Connection; drop(): Promise<void> };
  let repo: UsageRepository;

  beforeAll(async () => {
    db = await testDatabase('usage');
    repo = new UsageRepository(db.connection);
  });

  afterAll(async () => {
    await db.drop();
  });

  async function totals(granularity: 'minute' | 'hour' | 'day'): Promise<Record<string, number>> {
    const range = usageRange({ from: '2026-12-01T00:00:00Z', to: '2026-12-01T23:00:00Z', granularity }, Date.parse('2026-12-01T13:00:00Z'));
    const starts = documentStarts(range);
    const usage = keyUsage('key_usage1', 'acc_1', range, await repo.hourDocs('key_usage1', starts.hours), await repo.dayDocs('key_usage1', starts.days));
    return Object.fromEntries(usage.totals.map((t) => [t.outcome, t.count]));
  }

  it('keeps the latest running total per source: duplicates, replays and late older reports change nothing', async () => {
    await repo.apply([report('sessions/i1/boot1', 1, [ok(2)]), report('edge/i1/boot1', 1, [denied(1)])]);
    await repo.apply([report('sessions/i1/boot1', 2, [ok(5)])]);
    // A redelivery of the whole history, in another order, and a report older than the one kept.
    await repo.apply([report('sessions/i1/boot1', 2, [ok(5)]), report('edge/i1/boot1', 1, [denied(1)]), report('sessions/i1/boot1', 1, [ok(2)])]);
    expect(await totals('minute')).toEqual({ ok: 5, permission_denied: 1 });
    expect(await totals('hour')).toEqual({ ok: 5, permission_denied: 1 });
    expect(await totals('day')).toEqual({ ok: 5, permission_denied: 1 });
  });

  it('adds a restarted process (a new source) to what its previous run reported in the same minute', async () => {
    await repo.apply([report('sessions/i1/boot2', 1, [ok(3)])]);
    expect(await totals('hour')).toEqual({ ok: 8, permission_denied: 1 });
  });

  it('moves the last use only forward', async () => {
    await repo.apply([report('edge/i1/boot1', 2, [denied(2)], WINDOW, '2026-12-01T12:34:50.000Z')]);
    await repo.apply([report('edge/i1/boot1', 3, [denied(2)], WINDOW, '2026-12-01T12:34:10.000Z')]);
    expect((await repo.lastUse(['key_usage1'])).get('key_usage1')?.at.toISOString()).toBe('2026-12-01T12:34:50.000Z');
    expect(await totals('day')).toEqual({ ok: 8, permission_denied: 2 });
  });
});
