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

describe('ConcurrencyLimiter.resize', () => {
  it('admits waiters at once when it grows, and gives up released slots rather than hand them on when it shrank', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrent: 2, maxQueued: 5, maxQueueWaitMs: 10_000 });
    const first = [await limiter.acquire(), await limiter.acquire()];
    const [nextOne, lastOne] = [limiter.acquire(), limiter.acquire()];
    limiter.resize(3);
    const third = await nextOne;
    expect(limiter.stats()).toMatchObject({ active: 3, queued: 1 });
    limiter.resize(1);
    expect(limiter.limit()).toBe(1);
    for (const r of first) r();
    third();
    // Three released, the limit is 1: only now does the last waiter get the one slot.
    const last = await lastOne;
    expect(limiter.stats()).toMatchObject({ active: 1, queued: 0 });
    last();
    limiter.resize(0);
    expect(limiter.limit()).toBe(1);
    const unlimited = new ConcurrencyLimiter({ maxConcurrent: 0, maxQueued: 0, maxQueueWaitMs: 1 });
    unlimited.resize(1);
    await Promise.all([unlimited.acquire(), unlimited.acquire()]);
  });
});
