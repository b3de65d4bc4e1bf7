import { AuthFailureThrottle } from './auth-failure-throttle';

describe('AuthFailureThrottle', () => {
  it('lets an address fail up to the limit, then answers the seconds left in its window', () => {
    const throttle = new AuthFailureThrottle(3, 60_000);
    expect([1, 2, 3].map(() => throttle.fail('10.0.0.1', 0))).toEqual([undefined, undefined, undefined]);
    expect(throttle.fail('10.0.0.1', 1_000)).toBe(59);
    expect(throttle.fail('10.0.0.2', 1_000)).toBeUndefined();
  });

  it('starts a fresh window once the old one has ended', () => {
    const throttle = new AuthFailureThrottle(1, 1_000);
    throttle.fail('a', 0);
    expect(throttle.fail('a', 500)).toBe(1);
    expect(throttle.fail('a', 1_000)).toBeUndefined();
  });
});
