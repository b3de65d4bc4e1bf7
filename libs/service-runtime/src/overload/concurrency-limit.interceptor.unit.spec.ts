import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { firstValueFrom, of } from 'rxjs';
import { ProblemError } from '@keyward/problem';
import { ConcurrencyLimitInterceptor } from './concurrency-limit.interceptor';
import { ConcurrencyLimiter } from './concurrency-limiter';
import { WriteRateLimiter } from './write-rate-limiter';

/** The parts of an HTTP ExecutionContext the interceptor reads. */
function httpContext(method: string): ExecutionContext {
  const handler = (): void => undefined;
  class Controller {}
  const context: Pick<ExecutionContext, 'getType' | 'getHandler' | 'getClass' | 'switchToHttp'> = {
    getType: <T extends string>() => 'http' as T,
    getHandler: () => handler,
    getClass: <T>() => Controller as T,
    switchToHttp: () => ({ getRequest: <T>() => ({ method }) as T, getResponse: <T>() => ({}) as T, getNext: <T>() => ({}) as T }),
  };
  return context as ExecutionContext;
}

const handled: CallHandler = { handle: () => of('done') };

async function answer(interceptor: ConcurrencyLimitInterceptor, method: string): Promise<string> {
  try {
    return String(await firstValueFrom(interceptor.intercept(httpContext(method), handled)));
  } catch (e) {
    return e instanceof ProblemError ? `${e.status} ${e.code}` : String(e);
  }
}

describe('ConcurrencyLimitInterceptor', () => {
  it('gives a write its token back when no slot is free, so refused writes do not eat the write rate', async () => {
    const limiter = new ConcurrencyLimiter({ maxConcurrent: 1, maxQueued: 0, maxQueueWaitMs: 10 });
    const writes = new WriteRateLimiter(2, { now: () => new Date(1_000_000) });
    const interceptor = new ConcurrencyLimitInterceptor(limiter, new Reflector(), writes);
    const held = await limiter.acquire();
    // Five writes while the one slot is held: all refused for want of a slot, none costs a token.
    for (let i = 0; i < 5; i++) expect(await answer(interceptor, 'POST')).toBe('503 overloaded');
    held();
    // The clock stands still: the two tokens of the second are both still there, and no third.
    expect([await answer(interceptor, 'POST'), await answer(interceptor, 'POST'), await answer(interceptor, 'POST')]).toEqual(['done', 'done', '503 overloaded']);
    // Reads take no token.
    expect(await answer(interceptor, 'GET')).toBe('done');
  });
});
