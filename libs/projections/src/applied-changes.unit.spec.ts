import type { AppliedChange } from './applied-changes';
import { AppliedChanges } from './applied-changes';

const change = (aggregateId: string, version: number, appliedAtMs = version * 10): AppliedChange => ({
  aggregateId, version, type: `E${version}`, partition: 0, offset: String(version), occurredAt: new Date(appliedAtMs - 2).toISOString(), producedAtMs: appliedAtMs - 1, appliedAtMs,
});

describe('AppliedChanges', () => {
  it('finds the latest remembered change of an aggregate at a version or later, and nothing below it', () => {
    const changes = new AppliedChanges(8);
    changes.record(change('a', 1));
    changes.record(change('a', 2));
    changes.record(change('b', 1));
    expect(changes.find('a', 1)?.version).toBe(2);
    expect(changes.find('a', 2)?.version).toBe(2);
    expect(changes.find('a', 3)).toBeUndefined();
    expect(changes.find('c', 1)).toBeUndefined();
  });

  it('keeps the later version when an older one is applied after it (a duplicate re-read keeps the first answer)', () => {
    const changes = new AppliedChanges(8);
    changes.record(change('a', 3));
    changes.record(change('a', 2));
    expect(changes.find('a', 1)?.version).toBe(3);
  });

  it('forgets the oldest changes past its capacity, and only the aggregates whose latest change was overwritten', () => {
    const changes = new AppliedChanges(3);
    changes.record(change('a', 1));
    changes.record(change('b', 1));
    changes.record(change('a', 2));
    changes.record(change('c', 1)); // overwrites a@1: a's latest is a@2, still remembered
    expect(changes.find('a', 1)?.version).toBe(2);
    changes.record(change('d', 1)); // overwrites b@1
    expect(changes.find('b', 1)).toBeUndefined();
    changes.record(change('e', 1)); // overwrites a@2
    expect(changes.find('a', 1)).toBeUndefined();
    expect(['c', 'd', 'e'].map((id) => changes.find(id, 1)?.aggregateId)).toEqual(['c', 'd', 'e']);
  });

  it('answers a waiter when its version is applied, not on an earlier version, and leaves no waiter behind', async () => {
    const changes = new AppliedChanges(8);
    changes.record(change('a', 1));
    const waited = changes.wait('a', 3, 10_000);
    expect(changes.waiting).toBe(1);
    changes.record(change('a', 2));
    changes.record(change('b', 3));
    expect(changes.waiting).toBe(1);
    changes.record(change('a', 3));
    await expect(waited).resolves.toMatchObject({ aggregateId: 'a', version: 3 });
    expect(changes.waiting).toBe(0);
  });

  it('answers at once from what it remembers, and undefined once the wait is over or the caller left', async () => {
    jest.useFakeTimers();
    try {
      const changes = new AppliedChanges(8);
      changes.record(change('a', 2));
      await expect(changes.wait('a', 1, 1000)).resolves.toMatchObject({ version: 2 });
      await expect(changes.wait('a', 5, 0)).resolves.toBeUndefined();
      const timedOut = changes.wait('a', 5, 1000);
      const left = new AbortController();
      const abandoned = changes.wait('a', 5, 1000, left.signal);
      expect(changes.waiting).toBe(2);
      left.abort();
      await expect(abandoned).resolves.toBeUndefined();
      expect(changes.waiting).toBe(1);
      jest.advanceTimersByTime(1000);
      await expect(timedOut).resolves.toBeUndefined();
      expect(changes.waiting).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});
