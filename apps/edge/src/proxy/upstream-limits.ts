import type { RuntimeLimits } from '@keyward/config';
import { ConcurrencyLimiter } from '@keyward/service-runtime';

/**
 * The edge's bound on requests in flight per upstream service: past `upstreamMaxInFlight` to one
 * service, a request is answered 503 `overloaded` at once instead of queuing at the edge until
 * the upstream timeout (a slow service must not take every edge socket with it). No queue: the
 * service behind has its own short one. The forwarding calls `limiter(upstream).run(forward)`.
 */
export class UpstreamLimits {
  private readonly limiters = new Map<string, ConcurrencyLimiter>();

  constructor(private readonly limits: Pick<RuntimeLimits, 'upstreamMaxInFlight'>) {}

  limiter(upstream: string): ConcurrencyLimiter {
    let limiter = this.limiters.get(upstream);
    if (!limiter) {
      limiter = new ConcurrencyLimiter({ maxConcurrent: this.limits.upstreamMaxInFlight, maxQueued: 0, maxQueueWaitMs: 1 }, `requests to ${upstream}`);
      this.limiters.set(upstream, limiter);
    }
    return limiter;
  }
}
