import { ProblemError } from '@keyward/problem';
import { ConcurrencyLimiter } from './concurrency-limiter';

const code = (e: unknown): string | undefined => (e instanceof ProblemError ? e.code : undefined);

describe('ConcurrencyLimiter', () => {
  it('admits up to the limit, queues a few more, refuses the rest at once with 503 overloaded', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrent: 2, maxQueued: 1, maxQueueWaitMs: 10_000 });
    const a = await limiter.acquire();
    await limiter.acquire();
    const queued = limiter.acquire();
    const refused = await limiter.acquire().catch((e: unknown) => e);
    expect(code(refused)).toBe('overloaded');
    expect((refused as ProblemError).status).toBe(503);
    expect(limiter.stats()).toEqual({ active: 2, queued: 1, refused: 1 });
    a();
    const third = await queued;
    expect(limiter.stats()).toMatchObject({ active: 2, queued: 0 });
    third();
    expect(limiter.stats()).toMatchObject({ active: 1 });
  });

  it('refuses a queued request that got no slot within the wait bound', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrent: 1, maxQueued: 5, maxQueueWaitMs: 20 });
    await limiter.acquire();
    const started = Date.now();
    const refused = await limiter.acquire().catch((e: unknown) => e);
    expect(code(refused)).toBe('overloaded');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(limiter.stats().queued).toBe(0);
  });

  it('releases a slot once, however often release is called', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrent: 1, maxQueued: 0, maxQueueWaitMs: 10 });
    const release = await limiter.acquire();
    release();
    release();
    expect(limiter.stats().active).toBe(0);
    await limiter.run(async () => expect(limiter.stats().active).toBe(1));
    expect(limiter.stats().active).toBe(0);
  });

  it('does not limit when the limit is 0', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrent: 0, maxQueued: 0, maxQueueWaitMs: 1 });
    await Promise.all(Array.from({ length: 100 }, () => limiter.acquire()));
    expect(limiter.stats().refused).toBe(0);
  });
});
