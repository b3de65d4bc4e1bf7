import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { SetMetadata } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type { Observable } from 'rxjs';
import { finalize, from, mergeMap } from 'rxjs';
import type { ConcurrencyLimiter } from './concurrency-limiter';
import type { WriteRateLimiter } from './write-rate-limiter';

const UNLIMITED = 'keyward:unlimited';

/** Marks a controller or route that never waits on the database (health, readiness): never shed. */
export const Unlimited = (): MethodDecorator & ClassDecorator => SetMetadata(UNLIMITED, true);

/**
 * Holds each request in a slot of the service's limiter while its handler runs, and takes each
 * write (any method but GET and HEAD) from the instance's write rate first. It runs after the
 * guards, so what authorization refuses from memory (401, 403) is answered without a slot and is
 * never shed.
 */
export class ConcurrencyLimitInterceptor implements NestInterceptor {
  constructor(private readonly limiter: ConcurrencyLimiter, private readonly reflector: Reflector, private readonly writes?: WriteRateLimiter) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    if (this.reflector.getAllAndOverride<boolean | undefined>(UNLIMITED, [context.getHandler(), context.getClass()])) return next.handle();
    const writes = this.writes;
    if (writes !== undefined) {
      const { method } = context.switchToHttp().getRequest<{ method: string }>();
      if (method !== 'GET' && method !== 'HEAD') {
        writes.take();
        // A write refused for want of a slot did no work: its token goes back, so refusals of one
        // kind do not eat the rate of writes that do get done.
        return from(this.limiter.acquire().catch((e: unknown) => {
          writes.giveBack();
          throw e;
        })).pipe(mergeMap((release) => next.handle().pipe(finalize(release))));
      }
    }
    return from(this.limiter.acquire()).pipe(mergeMap((release) => next.handle().pipe(finalize(release))));
  }
}
