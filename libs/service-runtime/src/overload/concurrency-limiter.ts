import { ProblemError } from '@keyward/problem';

export interface ConcurrencyLimits {
  /** Held at once; 0 = no limit. */
  readonly maxConcurrent: number;
  /** Waiting for a slot beyond that; a request past both is refused at once. */
  readonly maxQueued: number;
  /** A waiting request that got no slot within this is refused. */
  readonly maxQueueWaitMs: number;
}

/** 503 `overloaded`: the work was refused before it started, so retrying later is always safe. */
export function overloaded(detail: string): ProblemError {
  return new ProblemError(503, 'overloaded', 'Service overloaded', detail);
}

interface Waiter {
  readonly resolve: (release: () => void) => void;
  readonly reject: (e: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Bounds the work in progress: a few at once, a short queue, and a fast refusal beyond it, so an
 * overload is answered 503 `overloaded` in milliseconds instead of queuing every request until
 * it times out (each waiting request holds memory, a socket and, in the database, a lock). No
 * I/O; one instance per thing it protects (the service's database-bound routes, an upstream).
 */
export class ConcurrencyLimiter {
  private active = 0;
  private readonly queue: Waiter[] = [];
  private refused = 0;
  /** The limit now: the configured one unless resize() moved it (an adaptive caller, the edge). */
  private max: number;

  constructor(private readonly limits: ConcurrencyLimits, private readonly what = 'requests') {
    this.max = limits.maxConcurrent;
  }

  /**
   * Moves the limit (at least 1; a limiter made without a limit stays without one). Growing admits
   * waiters at once; shrinking takes effect as slots are released (nothing in progress is cut).
   */
  resize(maxConcurrent: number): void {
    if (this.limits.maxConcurrent <= 0) return;
    this.max = Math.max(1, maxConcurrent);
    while (this.active < this.max) {
      const next = this.queue.shift();
      if (!next) break;
      clearTimeout(next.timer);
      this.active++;
      next.resolve(this.releaser());
    }
  }

  limit(): number {
    return this.max;
  }

  /** Resolves with the slot's release function, or rejects with 503 `overloaded`. */
  acquire(): Promise<() => void> {
    if (this.limits.maxConcurrent <= 0) return Promise.resolve(() => undefined);
    if (this.active < this.max) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    if (this.queue.length >= this.limits.maxQueued) {
      this.refused++;
      return Promise.reject(overloaded(`${this.max} ${this.what} in progress and ${this.queue.length} waiting; retry shortly`));
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined };
      waiter.timer = setTimeout(() => {
        const i = this.queue.indexOf(waiter);
        if (i >= 0) this.queue.splice(i, 1);
        this.refused++;
        reject(overloaded(`no free slot for ${this.limits.maxQueueWaitMs} ms; retry shortly`));
      }, this.limits.maxQueueWaitMs);
      this.queue.push(waiter);
    });
  }

  /** Runs `work` in a slot (or refuses it with 503 `overloaded`). */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await work();
    } finally {
      release();
    }
  }

  stats(): { active: number; queued: number; refused: number } {
    return { active: this.active, queued: this.queue.length, refused: this.refused };
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // Shrunk below what is in progress: this slot is given up, not handed on.
      const next = this.active > this.max ? undefined : this.queue.shift();
      if (next) {
        clearTimeout(next.timer);
        next.resolve(this.releaser());
      } else {
        this.active--;
      }
    };
  }
}
