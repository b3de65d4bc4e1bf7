import type { Clock } from '../clock/clock';
import { overloaded } from './concurrency-limiter';

/**
 * Bounds the writes one instance accepts per second (MAX_WRITES_PER_SECOND): a token bucket of
 * one second's worth, refilled continuously; a write beyond it answers 503 `overloaded` at once,
 * before any work. No I/O.
 *
 * Why a rate and not only the concurrency limit: on a machine the service shares with its
 * database (measured in the overload fault spec on two cores), one ticket creation at a time
 * already runs ~46 a second and takes the whole machine (FerretDB, the service, Kafka, the
 * projections downstream), so every answer slows, refusals included: refusal p99 725 ms at a
 * concurrency limit of 16, 453 ms with the edge's limit shrunk to 1. With 20 a second admitted
 * here it was 113-382 ms on a quiet machine (docs/fault-suite.md, `overload`). A concurrency limit
 * cannot go below one at a time; a rate can.
 */
export class WriteRateLimiter {
  private tokens: number;
  private atMs: number;

  /** `perSecond` 0: no bound. */
  constructor(private readonly perSecond: number, private readonly clock: Clock) {
    this.tokens = perSecond;
    this.atMs = clock.now().getTime();
  }

  /** Takes a token, or throws 503 `overloaded`. */
  take(): void {
    if (this.perSecond <= 0) return;
    const now = this.clock.now().getTime();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.atMs) * this.perSecond) / 1000);
    this.atMs = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return;
    }
    throw overloaded(`this instance accepts ${this.perSecond} writes a second; retry shortly`);
  }

  /** Returns a token taken for a write that was refused after all (no slot): it did no work. */
  giveBack(): void {
    if (this.perSecond <= 0) return;
    this.tokens = Math.min(this.perSecond, this.tokens + 1);
  }
}
