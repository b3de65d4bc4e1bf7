import { Injectable } from '@nestjs/common';
import type { EventEnvelope } from '@keyward/contracts';

/** Events that give a key its expiry (in `data.expiresAt`), and events after which it can no longer expire. */
const SETS_EXPIRY = new Set(['KeyCreated', 'KeyEnabled', 'KeyExpiryChanged']);
const ENDS_KEY = new Set(['KeyRevoked', 'KeyExpired']);

export interface ScheduledExpiry {
  readonly at: number;
  readonly keyId: string;
  readonly accountId: string;
}

/**
 * The keys whose expiry may still have to be recorded, as a min-heap on the expiry instant, in
 * memory: the sweep takes what is due in O(log n) per key instead of querying the read model (on
 * FerretDB every query but one by `_id` scans the collection, and the sweep runs every second).
 * Filled from every state this process's commands write, from every event the relay publishes
 * (whichever instance appended it, so a key written by an instance that died is still swept), and
 * once, at start, from the read model. An entry can be stale (the key was re-enabled with a later expiry, or
 * revoked): the sweep decides ExpireKey on the current aggregate, which is a no-op for those.
 */
@Injectable()
export class ExpirySchedule {
  private readonly heap: ScheduledExpiry[] = [];
  /** The latest expiry tracked per key, so a key rewritten many times is not queued many times. */
  private readonly latest = new Map<string, number>();

  get size(): number {
    return this.heap.length;
  }

  /** A key that can still expire (active or disabled) at `at`; other states are not tracked. */
  track(keyId: string, accountId: string, status: string, at: number): void {
    if (status !== 'active' && status !== 'disabled') {
      this.latest.delete(keyId);
      return;
    }
    if (this.latest.get(keyId) === at) return;
    this.latest.set(keyId, at);
    this.push({ at, keyId, accountId });
  }

  /**
   * Follows published key events, in their order. An entry this leaves behind a newer state the
   * process wrote (an older expiry, a key revoked meanwhile) is set right by the newer event's own
   * publication, and is harmless until then: the sweep's ExpireKey is a no-op for it.
   */
  trackEvents(events: readonly Pick<EventEnvelope, 'type' | 'aggregateId' | 'accountId' | 'data'>[]): void {
    for (const e of events) {
      if (ENDS_KEY.has(e.type)) {
        this.track(e.aggregateId, e.accountId, 'revoked', 0);
      } else if (SETS_EXPIRY.has(e.type) && typeof e.data === 'object' && e.data !== null && 'expiresAt' in e.data && typeof e.data.expiresAt === 'string') {
        const at = Date.parse(e.data.expiresAt);
        if (!Number.isNaN(at)) this.track(e.aggregateId, e.accountId, 'active', at);
      }
    }
  }

  /** Removes and returns up to `limit` keys due at `now`, earliest first. */
  takeDue(now: number, limit: number): ScheduledExpiry[] {
    const out: ScheduledExpiry[] = [];
    while (out.length < limit && this.heap.length > 0 && (this.heap[0]?.at ?? Infinity) <= now) {
      const next = this.pop();
      if (!next) break;
      // Only the key's latest expiry counts; older entries of it are dropped here.
      if (this.latest.get(next.keyId) !== next.at) continue;
      this.latest.delete(next.keyId);
      out.push(next);
    }
    return out;
  }

  /** Puts back a key whose expiry could not be recorded (a conflict, the database away). */
  retry(entry: ScheduledExpiry): void {
    if (!this.latest.has(entry.keyId)) this.track(entry.keyId, entry.accountId, 'active', entry.at);
  }

  private push(e: ScheduledExpiry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent];
      if (!p || p.at <= e.at) break;
      h[i] = p;
      i = parent;
    }
    h[i] = e;
  }

  private pop(): ScheduledExpiry | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length === 0 || !last) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      let value = last;
      const lv = h[l];
      const rv = h[r];
      if (lv && lv.at < value.at) { smallest = l; value = lv; }
      if (rv && rv.at < value.at) { smallest = r; value = rv; }
      if (smallest === i) break;
      h[i] = value;
      i = smallest;
    }
    h[i] = last;
    return top;
  }
}
