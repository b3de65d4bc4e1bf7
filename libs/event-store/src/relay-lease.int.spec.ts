import type { Connection } from 'mongoose';
import { testDatabase } from '@keyward/testing';
import { LeaseLostError, RelayLease } from './relay-lease';

// The relay lease on the run's real FerretDB: one of many takers wins a term, a holder keeps it by
// renewing, another takes over only after it expired, and the fencing check stops the old holder.

describe('RelayLease: a term per insert, fenced', () => {
  let db: { connection: Connection; drop(): Promise<void> };
  let nowMs = 1_000_000;
  const clock = { nowMs: () => nowMs };
  const now = (): Date => new Date(nowMs);

  beforeAll(async () => {
    db = await testDatabase('lease');
  });

  afterAll(() => db.drop());

  it('lets exactly one of eight instances taking it at the same moment win, and the others see it held', async () => {
    const leases = Array.from({ length: 8 }, (_, i) => new RelayLease(db.connection, 'race', `owner-${i}`, 10_000, clock));
    const won = await Promise.all(leases.map((l) => l.acquire(now())));
    expect(won.filter(Boolean)).toHaveLength(1);
    const holder = leases[won.indexOf(true)];
    expect(holder?.token).toBe(1);
    await expect(holder?.assertHeld()).resolves.toBeUndefined();
    const again = await Promise.all(leases.map((l) => l.acquire(now())));
    expect(again).toEqual(won);
  });

  it('is taken over only after it expired; the old holder is then fenced and cannot renew', async () => {
    const a = new RelayLease(db.connection, 'takeover', 'a', 4_000, clock);
    const b = new RelayLease(db.connection, 'takeover', 'b', 4_000, clock);
    expect(await a.acquire(now())).toBe(true);
    nowMs += 2_000;
    expect(await a.acquire(now())).toBe(true);
    expect(await b.acquire(now())).toBe(false);
    // a stops renewing (paused): its own validity ends a margin before the document's until.
    nowMs += 3_500;
    await expect(a.assertHeld()).rejects.toBeInstanceOf(LeaseLostError);
    expect(await b.acquire(now())).toBe(false);
    nowMs += 1_000;
    expect(await b.acquire(now())).toBe(true);
    expect(b.token).toBe(2);
    expect(b.takeNewTerm()).toBe(true);
    // a resumes: it does not hold the lease, and cannot take term 2 back.
    await expect(a.assertHeld()).rejects.toBeInstanceOf(LeaseLostError);
    expect(await a.acquire(now())).toBe(false);
  });

  it('fences a holder whose term was taken even while its own clock says it is valid', async () => {
    const a = new RelayLease(db.connection, 'skew', 'a', 10_000, clock);
    expect(await a.acquire(now())).toBe(true);
    // Another instance with a clock far ahead sees the term expired and takes term 2.
    const b = new RelayLease(db.connection, 'skew', 'b', 10_000, clock);
    expect(await b.acquire(new Date(nowMs + 60_000))).toBe(true);
    await expect(a.assertHeld()).rejects.toThrow(/term 2 was taken/);
  });

  it('is taken at once after the holder released it', async () => {
    const a = new RelayLease(db.connection, 'release', 'a', 10_000, clock);
    const b = new RelayLease(db.connection, 'release', 'b', 10_000, clock);
    expect(await a.acquire(now())).toBe(true);
    await a.release();
    expect(await b.acquire(now())).toBe(true);
  });
});
