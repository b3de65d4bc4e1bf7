import type { CompiledRateLimit, IndexedKey } from '../projection/indexed-key';

export interface KeyRateLimiterOptions {
  /**
   * The part of every key's limit this process enforces (0 < share <= 1): with N edges behind one
   * balancer each edge takes 1/N (RATE_LIMIT_EDGES), so together they admit at most the limit.
   */
  readonly share?: number;
  /**
   * Multiplies every bucket's size. The services' backstop uses 2: it must never refuse what the
   * edge admitted (requests the edge spaced out can arrive bunched), only a caller that skipped the edge.
   */
  readonly burstFactor?: number;
  /** Buckets kept before full ones are swept (a full bucket is the same as none). */
  readonly maxBuckets?: number;
}

/**
 * The bucket a request was judged by, for the answer's headers; one object reused for every
 * request. Only the raw state is written per request; the figures are derived when asked for.
 */
export class RateLimitDecision {
  /** The key's limit; null: it has none (no headers). */
  limit: CompiledRateLimit | null = null;
  /** Tokens left after this request. */
  tokens = 0;
  share = 1;
  burstFactor = 1;

  /** The bucket's size and refill per ms, as this process enforces them. */
  get capacity(): number {
    return this.limit === null ? 0 : this.limit.burst * this.share * this.burstFactor;
  }

  get perMs(): number {
    return this.limit === null ? 0 : this.limit.perMs * this.share;
  }

  /** Requests this process admits per window (`q` of RateLimit-Policy). */
  get quota(): number {
    return this.limit === null ? 0 : Math.max(1, Math.floor(this.limit.requests * this.share));
  }

  /** Whole requests left right now (`r` of RateLimit). */
  get remaining(): number {
    return Math.floor(this.tokens);
  }

  /** Seconds until the bucket is full again (`t` of RateLimit). */
  get resetSeconds(): number {
    return Math.ceil((this.capacity - this.tokens) / this.perMs / 1000);
  }

  /** Seconds until one more request is admitted (Retry-After on a refusal; 0 while one is). */
  get retryAfterSeconds(): number {
    return this.tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - this.tokens) / this.perMs / 1000));
  }
}

/** One key's bucket in one limiter (on the key's entry, key-slots.ts, or in the limiter's own Map). */
export interface RateBucket {
  readonly owner: KeyRateLimiter;
  tokens: number;
  atMs: number;
  /** The limit the tokens were counted under; a change of the key's limit is noticed by identity. */
  limit: CompiledRateLimit;
  capacity: number;
}

/**
 * Per-key token buckets in memory: no I/O, no lookup (the bucket sits on the key's index entry,
 * key-slots.ts) and a few arithmetic operations per request. A bucket holds `burst` tokens and
 * refills at requests/window; each request takes one. A bucket on an entry goes with the entry;
 * the Map (a second limiter's buckets) is swept once it holds `maxBuckets`.
 * A key's limit is read from its index entry on every request, so a KeyRateLimitChanged applies
 * from the next request on: a larger bucket gains the difference, a smaller one is cut down.
 */
export class KeyRateLimiter {
  /** Buckets of keys whose entry holds another limiter's bucket (a second limiter over one index). */
  private readonly buckets = new Map<string, RateBucket>();
  private readonly share: number;
  private readonly burstFactor: number;
  private sweepAt: number;
  readonly last = new RateLimitDecision();

  constructor(options: KeyRateLimiterOptions = {}) {
    this.share = options.share ?? 1;
    this.burstFactor = options.burstFactor ?? 1;
    if (!(this.share > 0 && this.share <= 1)) throw new RangeError(`share must be in (0, 1], got ${this.share}`);
    if (!(this.burstFactor >= 1)) throw new RangeError(`burstFactor must be at least 1, got ${this.burstFactor}`);
    this.sweepAt = options.maxBuckets ?? 100_000;
    this.last.share = this.share;
    this.last.burstFactor = this.burstFactor;
  }

  /** Buckets in this limiter's own Map (keys whose entry slot another limiter holds). */
  get size(): number {
    return this.buckets.size;
  }

  /** Takes one token from the key's bucket; false (and `last` says when to retry) when it is empty. */
  take(key: IndexedKey, nowMs: number): boolean {
    const limit = key.profile.rateLimit;
    const last = this.last;
    last.limit = limit;
    if (limit === null) return true;
    const perMs = limit.perMs * this.share;
    const capacity = limit.burst * this.share * this.burstFactor;
    let bucket = key.rate;
    if (bucket !== undefined && bucket.owner !== this) bucket = this.buckets.get(key.id);
    if (bucket === undefined) {
      bucket = { owner: this, tokens: capacity, atMs: nowMs, limit, capacity };
      if (key.rate === undefined) key.rate = bucket;
      else {
        if (this.buckets.size >= this.sweepAt) this.sweep(nowMs);
        this.buckets.set(key.id, bucket);
      }
    } else {
      if (bucket.limit !== limit) {
        bucket.tokens = Math.min(capacity, bucket.tokens + Math.max(0, capacity - bucket.capacity));
        bucket.limit = limit;
        bucket.capacity = capacity;
      }
      // A clock that went back refills nothing (and takes nothing away).
      if (nowMs > bucket.atMs) {
        bucket.tokens = Math.min(capacity, bucket.tokens + (nowMs - bucket.atMs) * perMs);
        bucket.atMs = nowMs;
      }
    }
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    last.tokens = bucket.tokens;
    return allowed;
  }

  /** Drops buckets that have refilled (indistinguishable from a new one); if none had, waits for twice as many. */
  private sweep(nowMs: number): void {
    const before = this.buckets.size;
    for (const [id, b] of this.buckets) {
      if (b.tokens + (nowMs - b.atMs) * b.limit.perMs * this.share >= b.capacity) this.buckets.delete(id);
    }
    if (this.buckets.size > before / 2) this.sweepAt *= 2;
  }
}

/**
 * The IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers-09/10: Structured Fields
 * lists with a quoted policy name) for a decision: `RateLimit-Policy: "key";q=300;w=60` and
 * `RateLimit: "key";r=59;t=1`, plus `Retry-After` on a refusal. None for a key without a limit.
 */
export function rateLimitHeaders(decision: RateLimitDecision, refused: boolean): Record<string, string> {
  const limit = decision.limit;
  if (limit === null) return {};
  const headers: Record<string, string> = {
    'ratelimit-policy': `"key";q=${decision.quota};w=${limit.windowSeconds}`,
    ratelimit: `"key";r=${decision.remaining};t=${decision.resetSeconds}`,
  };
  if (refused) headers['retry-after'] = String(decision.retryAfterSeconds);
  return headers;
}
