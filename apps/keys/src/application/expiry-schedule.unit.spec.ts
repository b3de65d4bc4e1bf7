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
});
