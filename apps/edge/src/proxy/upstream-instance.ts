import { Pool } from 'undici';
import type { ConcurrencyLimits } from '@keyward/service-runtime';
import { ConcurrencyLimiter } from '@keyward/service-runtime';

/** Where an instance stands with the edge; only `up` instances are chosen while any is up. */
export type InstanceState = 'unchecked' | 'up' | 'down' | 'ejected';

export interface InstanceOptions {
  readonly limits: ConcurrencyLimits;
  /** Headers and body timeout of a forwarded request, and the connect timeout. */
  readonly timeoutMs: number;
  /** An answer head slower than this shrinks the in-flight limit; one under half of it counts towards growing it. */
  readonly slowAnswerMs: number;
  readonly ejectMs: number;
  readonly maxEjectMs: number;
}

/**
 * One instance of a service behind the edge: its own keep-alive pool, its own bound on requests in
 * flight (with a short queue), and its health. Health has two inputs: the active check (its
 * /ready, every interval) and passive failures (a connection refused or lost while forwarding),
 * which eject it for a backoff that doubles per failure in a row. It comes back only once the
 * backoff is over and its /ready answered 200 after the failure, so a restarted instance takes
 * traffic when it is ready, not when its port opens. No timers here: the balancer drives it.
 */
export class UpstreamInstance {
  readonly pool: Pool;
  readonly limiter: ConcurrencyLimiter;
  private ejectedUntil = 0;
  private failuresInRow = 0;
  private failedAt = Number.NEGATIVE_INFINITY;
  private lastProblem: string | undefined;
  private current: InstanceState = 'unchecked';
  private fastInRow = 0;
  private failedChecksInRow = 0;
  private lastShrinkAt = Number.NEGATIVE_INFINITY;

  constructor(readonly service: string, readonly origin: string, private readonly options: InstanceOptions) {
    const { maxConcurrent } = options.limits;
    this.pool = new Pool(origin, {
      // The limiter bounds forwards; two more connections keep the health check off their queue.
      connections: maxConcurrent > 0 ? maxConcurrent + 2 : 256,
      // One request at a time per connection: no pipelining to the services.
      pipelining: 1,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connect: { timeout: options.timeoutMs },
    });
    // The refusal's detail names the service, never an internal address.
    this.limiter = new ConcurrencyLimiter(options.limits, `requests from this edge to an instance of ${service}`);
  }

  /** Requests in flight or waiting for a slot. */
  load(): number {
    const { active, queued } = this.limiter.stats();
    return active + queued;
  }

  /**
   * What least-loaded choice compares: the load against this instance's own limit, which adapts.
   * By load alone, an instance whose limit shrank to 1 (slow just after a restart) holding one
   * request looked less busy than its twin holding 2 of 16, and the next request was refused there.
   */
  occupancy(): number {
    const limit = this.limiter.limit();
    return limit > 0 ? this.load() / limit : this.load();
  }

  state(): InstanceState {
    return this.current;
  }

  /** An ejected instance whose backoff has run out (it may be tried before one still in its backoff). */
  ejectionOver(nowMs: number): boolean {
    return nowMs >= this.ejectedUntil;
  }

  /** Why it is not up (the last failed check or forward), for the log and the metrics' readers. */
  problem(): string | undefined {
    return this.lastProblem;
  }

  /**
   * A forward failed on the connection (refused, reset, closed): eject for a backoff. Answers the
   * backoff when this failure ejected an instance that was not already ejected.
   */
  connectionFailed(nowMs: number, why: string): number | undefined {
    this.failedAt = nowMs;
    this.lastProblem = why;
    if (this.current === 'ejected' && nowMs < this.ejectedUntil) return undefined;
    this.failuresInRow++;
    const backoff = Math.min(this.options.ejectMs * 2 ** (this.failuresInRow - 1), this.options.maxEjectMs);
    this.ejectedUntil = nowMs + backoff;
    this.current = 'ejected';
    return backoff;
  }

  /**
   * The in-flight limit adapts to how fast the instance answers (additive increase, multiplicative
   * decrease): an answer head slower than UPSTREAM_SLOW_ANSWER_MS, or none at all in time, shrinks
   * it by a quarter (once per slow period: answers to requests sent before the last shrink do not
   * count again); a run of `limit` fast answers (under half of it) grows it by one, up to
   * UPSTREAM_MAX_IN_FLIGHT. So an instance whose database work slows down under contention
   * (SQLite serialises writes) gets fewer requests at once, each answered well before the timeout,
   * and the rest are refused fast here rather than answered 504 after ten seconds.
   * Answers: the new limit when it changed.
   */
  answerTimed(sentAtMs: number, nowMs: number, timedOut: boolean): number | undefined {
    const max = this.options.limits.maxConcurrent;
    if (max <= 0) return undefined;
    const took = nowMs - sentAtMs;
    const before = this.limiter.limit();
    if (timedOut || took > this.options.slowAnswerMs) {
      this.fastInRow = 0;
      if (sentAtMs < this.lastShrinkAt) return undefined;
      this.lastShrinkAt = nowMs;
      this.limiter.resize(Math.floor(before * 0.75));
    } else if (took <= this.options.slowAnswerMs / 2 && before < max && ++this.fastInRow >= before) {
      this.fastInRow = 0;
      this.limiter.resize(before + 1);
    }
    const after = this.limiter.limit();
    return after === before ? undefined : after;
  }

  /** A forward got an answer while up: the backoff of a later failure starts short again. */
  answered(): void {
    if (this.current === 'up') this.failuresInRow = 0;
  }

  /** The active check's result (`startedMs`: when it was sent); answers the new state when it changed. */
  checked(nowMs: number, startedMs: number, ok: boolean, why?: string): InstanceState | undefined {
    const before = this.current;
    this.failedChecksInRow = ok ? 0 : this.failedChecksInRow + 1;
    if (!ok) {
      this.lastProblem = why;
      // An ejected instance stays ejected until a good check after its backoff; otherwise it is
      // down, an instance that was up only at its second failed check in a row (one slow answer
      // of a busy machine is not a dead instance; a dead one is ejected by its first failed forward).
      if (this.current !== 'ejected' && (this.current !== 'up' || this.failedChecksInRow >= 2)) this.current = 'down';
    } else if (this.current !== 'ejected' || (nowMs >= this.ejectedUntil && startedMs >= this.failedAt)) {
      // A check sent before the last failed forward says nothing about the connection since.
      this.current = 'up';
      this.lastProblem = undefined;
    }
    return this.current === before ? undefined : this.current;
  }

  close(): Promise<void> {
    return this.pool.close().catch(() => undefined);
  }
}
