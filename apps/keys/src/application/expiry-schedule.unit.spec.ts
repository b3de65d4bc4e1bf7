import { ExpirySchedule } from './expiry-schedule';

describe('ExpirySchedule', () => {
  it('hands out due keys earliest first and keeps the rest', () => {
    const s = new ExpirySchedule();
    const ats = [50, 10, 40, 30, 20, 60, 5];
    ats.forEach((at, i) => s.track(`k${i}`, 'acc', 'active', at));
    expect(s.takeDue(40, 100).map((e) => e.at)).toEqual([5, 10, 20, 30, 40]);
    expect(s.takeDue(40, 100)).toEqual([]);
    expect(s.takeDue(1000, 100).map((e) => e.at)).toEqual([50, 60]);
  });

  it('counts only the latest expiry of a key, and none for a key that can no longer expire', () => {
    const s = new ExpirySchedule();
    s.track('moved', 'acc', 'active', 10);
    s.track('moved', 'acc', 'active', 100);
    s.track('revoked', 'acc', 'active', 10);
    s.track('revoked', 'acc', 'revoked', 10);
    s.track('disabled', 'acc', 'disabled', 20);
    expect(s.takeDue(50, 100).map((e) => e.keyId)).toEqual(['disabled']);
    expect(s.takeDue(100, 100).map((e) => e.keyId)).toEqual(['moved']);
  });

  it('takes at most the limit and gives a key back for the next sweep', () => {
    const s = new ExpirySchedule();
    for (let i = 0; i < 5; i++) s.track(`k${i}`, 'acc', 'active', i);
    const first = s.takeDue(10, 2);
    expect(first.map((e) => e.keyId)).toEqual(['k0', 'k1']);
    s.retry(first[1]!);
    expect(s.takeDue(10, 10).map((e) => e.keyId)).toEqual(['k1', 'k2', 'k3', 'k4']);
  });

  it('orders a large random set like a sort', () => {
    const s = new ExpirySchedule();
    const ats = Array.from({ length: 2000 }, () => Math.floor(Math.random() * 1e6));
    ats.forEach((at, i) => s.track(`k${i}`, 'acc', 'active', at));
    expect(s.takeDue(Infinity, 5000).map((e) => e.at)).toEqual([...ats].sort((a, b) => a - b));
  });

  it('follows published key events, whoever appended them: an expiry set, moved, ended', () => {
    const s = new ExpirySchedule();
    const at = (iso: string): number => Date.parse(iso);
    s.trackEvents([
      { type: 'KeyCreated', aggregateId: 'created', accountId: 'acc', data: { kind: 'private', expiresAt: '2026-01-01T00:00:10.000Z' } },
      { type: 'KeyCreated', aggregateId: 'moved', accountId: 'acc', data: { expiresAt: '2026-01-01T00:00:10.000Z' } },
      { type: 'KeyExpiryChanged', aggregateId: 'moved', accountId: 'acc', data: { by: 'k', expiresAt: '2026-01-01T00:01:00.000Z' } },
      { type: 'KeyCreated', aggregateId: 'revoked', accountId: 'acc', data: { expiresAt: '2026-01-01T00:00:10.000Z' } },
      { type: 'KeyRevoked', aggregateId: 'revoked', accountId: 'acc', data: { by: 'k' } },
      { type: 'KeyDisabled', aggregateId: 'created', accountId: 'acc', data: { by: 'k' } },
      { type: 'KeyRotated', aggregateId: 'other', accountId: 'acc', data: { expiresAt: 'not an expiry event' } },
    ]);
    expect(s.takeDue(at('2026-01-01T00:00:30.000Z'), 100).map((e) => e.keyId)).toEqual(['created']);
    expect(s.takeDue(at('2026-01-01T00:02:00.000Z'), 100).map((e) => [e.keyId, e.accountId])).toEqual([['moved', 'acc']]);
    s.trackEvents([{ type: 'KeyEnabled', aggregateId: 'created', accountId: 'acc', data: { by: 'k', expiresAt: '2026-01-01T00:03:00.000Z' } }]);
    expect(s.takeDue(at('2026-01-01T00:04:00.000Z'), 100).map((e) => e.keyId)).toEqual(['created']);
    expect(s.size).toBe(0);
  });
});
