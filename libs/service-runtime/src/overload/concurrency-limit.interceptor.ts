import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { SetMetadata } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type { Observable } from 'rxjs';
import { finalize, from, mergeMap } from 'rxjs';
import type { ConcurrencyLimiter } from './concurrency-limiter';
import type { WriteRateLimiter } from './write-rate-limiter';

const UNLIMITED = 'keyward:unlimited';
const READS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

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
    const write = writes !== undefined && !READS.has(context.switchToHttp().getRequest<{ method: string }>().method);
    // The write's token first (before a slot is taken, so a refusal here holds no slot).
    if (write) writes.take();
    const acquired = this.limiter.acquire();
    // A write refused for want of a slot did no work: its token goes back, so refusals of one kind
    // do not eat the rate of writes that do get done.
    const slot = write ? acquired.catch((e: unknown) => {
      writes.giveBack();
      throw e;
    }) : acquired;
    return from(slot).pipe(mergeMap((release) => next.handle().pipe(finalize(release))));
  }
}
