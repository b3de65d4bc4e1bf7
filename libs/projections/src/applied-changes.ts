import { performance } from 'node:perf_hooks';
import type { AppliedStatus } from './projection';

/** One event a projection applied: when it was produced and when this instance applied it. */
export interface AppliedChange {
  readonly aggregateId: string;
  readonly version: number;
  readonly type: string;
  readonly partition: number;
  readonly offset: string;
  /** The event's own time: when its service recorded the change (ISO 8601, as the envelope has it). */
  readonly occurredAt: string;
  /** The Kafka record's timestamp (the producer's clock), epoch ms. */
  readonly producedAtMs: number;
  /** Epoch ms with a sub-millisecond fraction (see `highResolutionNow`). */
  readonly appliedAtMs: number;
}

/**
 * The wall clock with a sub-millisecond fraction: `performance.timeOrigin + performance.now()`.
 * Processes on one machine share it to well under a millisecond, which is what lets a benchmark
 * compare its own clock with a service's apply time (tools/bench, propagation).
 */
export function highResolutionNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Changes kept per projection: enough for an operator's "did this instance apply that change?" about recent ones. */
export const RECENT_CHANGES = 1024;
/** The longest wait a caller may ask for. */
export const MAX_WAIT_MS = 30_000;

interface Waiter {
  readonly version: number;
  readonly resolve: (change: AppliedChange | undefined) => void;
}

/**
 * The last RECENT_CHANGES events a projection applied, by aggregate (the latest of each), and the
 * callers waiting for an aggregate to reach a version. Recording is a slot write and a Map set per
 * event; the waiters are looked up only when there are some. Older changes are forgotten (their
 * aggregate's version is still in the index, without an apply time).
 */
export class AppliedChanges {
  private readonly ring: (AppliedChange | undefined)[];
  private next = 0;
  private readonly latest = new Map<string, AppliedChange>();
  private readonly waiters = new Map<string, Set<Waiter>>();

  constructor(private readonly capacity = RECENT_CHANGES) {
    this.ring = new Array<AppliedChange | undefined>(capacity);
  }

  record(change: AppliedChange): void {
    const old = this.ring[this.next];
    if (old && this.latest.get(old.aggregateId) === old) this.latest.delete(old.aggregateId);
    this.ring[this.next] = change;
    this.next = (this.next + 1) % this.capacity;
    const before = this.latest.get(change.aggregateId);
    if (!before || before.version <= change.version) this.latest.set(change.aggregateId, change);
    if (this.waiters.size === 0) return;
    const waiting = this.waiters.get(change.aggregateId);
    if (!waiting) return;
    for (const w of waiting) {
      if (change.version < w.version) continue;
      waiting.delete(w);
      w.resolve(change);
    }
    if (waiting.size === 0) this.waiters.delete(change.aggregateId);
  }

  /** The latest recent change of the aggregate at `version` or later, if one is remembered. */
  find(aggregateId: string, version: number): AppliedChange | undefined {
    const change = this.latest.get(aggregateId);
    return change && change.version >= version ? change : undefined;
  }

  /**
   * Resolves with the first change of the aggregate at `version` or later (at once if one is
   * remembered), or with undefined after `waitMs` or when `signal` aborts.
   */
  wait(aggregateId: string, version: number, waitMs: number, signal?: AbortSignal): Promise<AppliedChange | undefined> {
    const found = this.find(aggregateId, version);
    if (found || waitMs <= 0 || signal?.aborted) return Promise.resolve(found);
    return new Promise((resolve) => {
      let set = this.waiters.get(aggregateId);
      if (!set) this.waiters.set(aggregateId, (set = new Set()));
      const waiting = set;
      const done = (change: AppliedChange | undefined): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(change);
      };
      const waiter: Waiter = { version, resolve: done };
      const giveUp = (): void => {
        waiting.delete(waiter);
        if (waiting.size === 0 && this.waiters.get(aggregateId) === waiting) this.waiters.delete(aggregateId);
        done(undefined);
      };
      const onAbort = (): void => giveUp();
      const timer = setTimeout(giveUp, Math.min(waitMs, MAX_WAIT_MS));
      signal?.addEventListener('abort', onAbort, { once: true });
      waiting.add(waiter);
    });
  }

  /** Callers waiting now (for the tests and the status). */
  get waiting(): number {
    let n = 0;
    for (const set of this.waiters.values()) n += set.size;
    return n;
  }
}

/** A change as the operator route answers it: ISO times, and the lag from the record to the apply. */
export function describeChange(c: AppliedChange): NonNullable<AppliedStatus['change']> {
  return {
    version: c.version, type: c.type, partition: c.partition, offset: c.offset, occurredAt: c.occurredAt,
    producedAt: new Date(c.producedAtMs).toISOString(), appliedAt: new Date(c.appliedAtMs).toISOString(),
    appliedAtMs: c.appliedAtMs, lagMs: Math.round((c.appliedAtMs - c.producedAtMs) * 10) / 10,
  };
}
