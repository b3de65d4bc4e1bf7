import { randomUUID } from 'node:crypto';
import type { KeyRateLimit } from '@keyward/contracts';
import { generateToken, hashToken } from '@keyward/contracts';
import type { IndexedKey } from '../projection/indexed-key';
import { KeyIndex } from '../projection/key-index';
import { KeyRateLimiter, rateLimitHeaders } from './key-rate-limiter';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');

/** An index holding one key with `rateLimit`; `limit(…)` changes it as KeyRateLimitChanged does. */
function keyWith(rateLimit: KeyRateLimit | null, kind: 'public' | 'private' = 'private'): { index: KeyIndex; key: () => IndexedKey; limit: (r: KeyRateLimit | null) => void } {
  const index = new KeyIndex();
  const id = `key_${randomUUID()}`;
  const token = generateToken(kind);
  let version = 1;
  const envelope = { id: randomUUID(), aggregateId: id, accountId: 'acc_1', occurredAt: new Date(T0).toISOString() };
  index.apply({
    ...envelope, type: 'KeyCreated', schemaVersion: 2, version,
    data: { kind, name: 'k', permissions: ['sessions:create'], allowedIps: [], allowedOrigins: [], rateLimit, expiresAt: new Date(T0 + 86_400_000).toISOString(), createdBy: 'b', secretHash: hashToken(token), tokenPrefix: token.slice(0, 12) },
  });
  return {
    index,
    key: () => {
      const entry = index.entry(id);
      if (entry === undefined) throw new Error('no entry');
      return entry;
    },
    limit: (r) => {
      version += 1;
      index.apply({ ...envelope, id: randomUUID(), type: 'KeyRateLimitChanged', schemaVersion: 1, version, data: { by: 'b', rateLimit: r } });
    },
  };
}

function takeN(limiter: KeyRateLimiter, key: IndexedKey, n: number, nowMs: number): number {
  let admitted = 0;
  for (let i = 0; i < n; i++) if (limiter.take(key, nowMs)) admitted += 1;
  return admitted;
}

describe('KeyRateLimiter', () => {
  it('admits a burst, then refuses until a token has refilled, saying when', () => {
    const { key } = keyWith({ requests: 60, windowSeconds: 60, burst: 5 });
    const limiter = new KeyRateLimiter();
    expect(takeN(limiter, key(), 8, T0)).toBe(5);
    expect(limiter.last).toMatchObject({ remaining: 0, retryAfterSeconds: 1, quota: 60 });
    expect(limiter.take(key(), T0 + 999)).toBe(false);
    expect(limiter.take(key(), T0 + 1000)).toBe(true);
    expect(limiter.take(key(), T0 + 1000)).toBe(false);
  });

  it('gives Retry-After as the whole seconds until the next token of a slow refill', () => {
    const { key } = keyWith({ requests: 2, windowSeconds: 60, burst: 2 });
    const limiter = new KeyRateLimiter();
    expect(takeN(limiter, key(), 3, T0)).toBe(2);
    expect(limiter.last.retryAfterSeconds).toBe(30);
    expect(limiter.take(key(), T0 + 10_000)).toBe(false);
    expect(limiter.last.retryAfterSeconds).toBe(20);
    expect(rateLimitHeaders(limiter.last, true)).toEqual({ 'ratelimit-policy': '"key";q=2;w=60', ratelimit: '"key";r=0;t=50', 'retry-after': '20' });
  });

  it('keeps keys apart', () => {
    const a = keyWith({ requests: 1, windowSeconds: 60, burst: 1 });
    const b = keyWith({ requests: 1, windowSeconds: 60, burst: 1 });
    const limiter = new KeyRateLimiter();
    expect(limiter.take(a.key(), T0)).toBe(true);
    expect(limiter.take(a.key(), T0)).toBe(false);
    expect(limiter.take(b.key(), T0)).toBe(true);
  });

  it('admits everything for a key without a limit, and says nothing about it', () => {
    const { key } = keyWith(null);
    const limiter = new KeyRateLimiter();
    expect(takeN(limiter, key(), 1000, T0)).toBe(1000);
    expect(rateLimitHeaders(limiter.last, false)).toEqual({});
    expect(limiter.size).toBe(0);
  });

  it('applies a changed limit from the next request: a larger bucket gains the difference, a smaller one is cut', () => {
    const k = keyWith({ requests: 60, windowSeconds: 60, burst: 2 });
    const limiter = new KeyRateLimiter();
    expect(takeN(limiter, k.key(), 5, T0)).toBe(2);
    k.limit({ requests: 60, windowSeconds: 60, burst: 10 });
    expect(takeN(limiter, k.key(), 20, T0)).toBe(8);
    k.limit({ requests: 60, windowSeconds: 60, burst: 1 });
    expect(takeN(limiter, k.key(), 5, T0 + 60_000)).toBe(1);
    k.limit(null);
    expect(takeN(limiter, k.key(), 50, T0 + 60_000)).toBe(50);
  });

  it('enforces its share of each limit, so N edges together admit at most the limit', () => {
    const { key } = keyWith({ requests: 600, windowSeconds: 60, burst: 100 });
    const edges = [new KeyRateLimiter({ share: 1 / 4 }), new KeyRateLimiter({ share: 1 / 4 }), new KeyRateLimiter({ share: 1 / 4 }), new KeyRateLimiter({ share: 1 / 4 })];
    let admitted = 0;
    // A second of traffic at 1000 requests per second, round robin over the four edges.
    for (let i = 0; i < 1000; i++) if (edges[i % 4]?.take(key(), T0 + i)) admitted += 1;
    // The burst (100) and one second of refill (10).
    expect(admitted).toBeGreaterThanOrEqual(105);
    expect(admitted).toBeLessThanOrEqual(110);
    expect(edges[0]?.last.quota).toBe(150);
  });

  it('gives the backstop twice the burst', () => {
    const { key } = keyWith({ requests: 60, windowSeconds: 60, burst: 5 });
    expect(takeN(new KeyRateLimiter({ burstFactor: 2 }), key(), 20, T0)).toBe(10);
  });

  it('never refills on a clock that went back', () => {
    const { key } = keyWith({ requests: 60, windowSeconds: 60, burst: 1 });
    const limiter = new KeyRateLimiter();
    expect(limiter.take(key(), T0)).toBe(true);
    expect(limiter.take(key(), T0 - 60_000)).toBe(false);
  });

  it('keeps its bucket on the key\'s entry, through every event of the key', () => {
    const k = keyWith({ requests: 1, windowSeconds: 60, burst: 3 });
    const limiter = new KeyRateLimiter();
    expect(takeN(limiter, k.key(), 2, T0)).toBe(2);
    const first = k.key();
    // Any event replaces the entry: the same limit again still gives a new entry.
    k.limit({ requests: 1, windowSeconds: 60, burst: 3 });
    expect(k.key()).not.toBe(first);
    expect(takeN(limiter, k.key(), 5, T0)).toBe(1);
    expect(limiter.size).toBe(0);
  });

  it('keeps a second limiter\'s buckets apart from the first\'s, and sweeps them once it holds many', () => {
    const first = new KeyRateLimiter();
    const second = new KeyRateLimiter({ maxBuckets: 10 });
    for (let i = 0; i < 30; i++) {
      const key = keyWith({ requests: 60, windowSeconds: 60, burst: 5 }).key();
      expect(takeN(first, key, 5, T0 + i * 60_000)).toBe(5);
      expect(takeN(second, key, 6, T0 + i * 60_000)).toBe(5);
    }
    expect(first.size).toBe(0);
    expect(second.size).toBeGreaterThan(0);
    expect(second.size).toBeLessThanOrEqual(11);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a share of %p', (share) => {
    expect(() => new KeyRateLimiter({ share })).toThrow(RangeError);
  });
});
