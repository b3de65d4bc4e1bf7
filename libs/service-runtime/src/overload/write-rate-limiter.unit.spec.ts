import { ProblemError } from '@keyward/problem';
import { WriteRateLimiter } from './write-rate-limiter';

function clockAt(ms: { now: number }) {
  return { now: () => new Date(ms.now) };
}

function outcome(limiter: WriteRateLimiter): string {
  try {
    limiter.take();
    return 'ok';
  } catch (e) {
    return e instanceof ProblemError ? `${e.status} ${e.code}` : String(e);
  }
}

describe('WriteRateLimiter', () => {
  it('admits one second of writes at once, then refuses with 503 overloaded', () => {
    const time = { now: 1_000_000 };
    const limiter = new WriteRateLimiter(5, clockAt(time));
    expect(Array.from({ length: 7 }, () => outcome(limiter))).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', '503 overloaded', '503 overloaded']);
  });

  it('refills at the rate, never beyond one second of writes', () => {
    const time = { now: 1_000_000 };
    const limiter = new WriteRateLimiter(10, clockAt(time));
    for (let i = 0; i < 10; i++) limiter.take();
    time.now += 250; // 2.5 tokens
    expect([outcome(limiter), outcome(limiter), outcome(limiter)]).toEqual(['ok', 'ok', '503 overloaded']);
    time.now += 60_000;
    expect(Array.from({ length: 11 }, () => outcome(limiter)).filter((o) => o === 'ok')).toHaveLength(10);
  });

  it('takes back a token given back (a write refused after all), never beyond one second of writes', () => {
    const time = { now: 1_000_000 };
    const limiter = new WriteRateLimiter(3, clockAt(time));
    for (let i = 0; i < 3; i++) limiter.take();
    limiter.giveBack();
    expect([outcome(limiter), outcome(limiter)]).toEqual(['ok', '503 overloaded']);
    limiter.giveBack();
    limiter.giveBack();
    limiter.giveBack();
    limiter.giveBack();
    expect(Array.from({ length: 5 }, () => outcome(limiter)).filter((o) => o === 'ok')).toHaveLength(3);
  });

  it('bounds nothing at 0', () => {
    const limiter = new WriteRateLimiter(0, clockAt({ now: 0 }));
    expect(Array.from({ length: 1000 }, () => outcome(limiter)).every((o) => o === 'ok')).toBe(true);
  });
});
