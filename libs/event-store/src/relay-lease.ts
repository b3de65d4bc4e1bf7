import type { Collection, Connection } from 'mongoose';
import { isDuplicateKeyError } from './errors';
import { withTransientRetry } from './transient-retry';

/**
 * One term of a lease: inserted once, by the instance that took it, and only ever updated by it
 * (to renew). `_id` is `<name>#<term>`, so of several instances taking term N+1 at the same moment
 * exactly one insert succeeds: the unique `_id` is the one atomic primitive MongoDB and FerretDB
 * share (FerretDB's findOneAndUpdate and `$inc` are not atomic, see DESIGN section 4).
 */
interface LeaseTermDoc {
  _id: string;
  name: string;
  term: number;
  owner: string;
  until: Date;
}

/** Thrown by assertHeld(): another instance holds the lease now, or this one could not renew it in time. */
export class LeaseLostError extends Error {
  constructor(name: string, why: string) {
    super(`lease ${name} is no longer held: ${why}`);
    this.name = 'LeaseLostError';
  }
}

export interface LeaseClock {
  /** Real time in ms (Date.now): how long this instance may still act on its lease. */
  nowMs(): number;
}

const REAL_CLOCK: LeaseClock = { nowMs: () => Date.now() };

/**
 * A lease held in the database so that, of several instances of a service, one does a piece of
 * work at a time (the outbox relay). Terms count up; the term is the fencing token.
 *
 * - take: when the latest term has expired (its `until` passed), insert term N+1; a duplicate
 *   key means another instance won it.
 * - hold: the holder renews its own term document (nobody else writes it) and believes it holds
 *   the lease only until `ttl - margin` after it asked to renew, by its own clock: a holder that
 *   was paused, partitioned or slow stops before any other instance can take over, and never
 *   renews a term that may already be seen expired.
 * - fence: assertHeld(), called right before every publish, fails once term N+1 exists or the
 *   local validity ran out, so an instance resumed after its lease expired publishes nothing more.
 *   It is the one read of the lease per relay cycle: acquire() between renewals trusts the local
 *   validity (a term N+1 can only be taken once term N's `until` passed, which is `margin` after
 *   that validity ends), and the read before the send catches a clock skewed past the margin.
 */
export class RelayLease {
  private readonly leases: Collection<LeaseTermDoc>;
  private term: number | undefined;
  private validUntilMs = 0;
  private renewedAtMs = 0;
  private fresh = false;
  private readonly marginMs: number;

  constructor(
    connection: Connection,
    private readonly name: string,
    private readonly owner: string,
    private readonly ttlMs: number,
    private readonly clock: LeaseClock = REAL_CLOCK,
  ) {
    this.leases = connection.collection<LeaseTermDoc>('leases');
    // Room for clock skew between hosts and for the time a renewal takes to land.
    this.marginMs = Math.max(250, Math.floor(ttlMs / 4));
  }

  /** The fencing token: the term this instance holds, if any. */
  get token(): number | undefined {
    return this.term;
  }

  /** True once after acquire() took a new term (the work done by the term before may be half done). */
  takeNewTerm(): boolean {
    const fresh = this.fresh;
    this.fresh = false;
    return fresh;
  }

  /** Takes or renews the lease; false when another live owner holds it. `now` is the time written in the lease document. */
  async acquire(now: Date): Promise<boolean> {
    if (this.term !== undefined) {
      const askedAt = this.clock.nowMs();
      if (askedAt >= this.validUntilMs) {
        this.term = undefined;
      } else if (askedAt - this.renewedAtMs < this.ttlMs / 3) {
        // Held by this instance's own clock: no read. The fence is assertHeld(), before each send.
        return true;
      } else {
        const res = await withTransientRetry(() => this.leases.updateOne(
          { _id: this.idOf(this.term ?? 0), owner: this.owner },
          { $set: { until: new Date(now.getTime() + this.ttlMs) } },
        ));
        if (res.matchedCount === 0) return this.lost();
        this.validUntilMs = askedAt + this.ttlMs - this.marginMs;
        this.renewedAtMs = askedAt;
        return true;
      }
    }
    const askedAt = this.clock.nowMs();
    const [latest] = await withTransientRetry(() => this.leases.find({ name: this.name }).sort({ term: -1 }).limit(1).toArray());
    if (latest && latest.until.getTime() > now.getTime()) return false;
    const term = (latest?.term ?? 0) + 1;
    try {
      await withTransientRetry(() => this.leases.insertOne({ _id: this.idOf(term), name: this.name, term, owner: this.owner, until: new Date(now.getTime() + this.ttlMs) }));
    } catch (e) {
      if (isDuplicateKeyError(e)) return false;
      throw e;
    }
    this.term = term;
    this.fresh = true;
    this.validUntilMs = askedAt + this.ttlMs - this.marginMs;
    this.renewedAtMs = askedAt;
    // Old terms are history nobody reads; the one before stays for operators to see who held it.
    await this.leases.deleteMany({ name: this.name, term: { $lt: term - 1 } }).catch(() => undefined);
    return true;
  }

  /**
   * By this instance's own clock only (no read): for a step right after assertHeld() in the same
   * drain, such as the watermark after a send, where the read just made is the fence.
   */
  assertValid(): void {
    const term = this.term;
    if (term === undefined) throw new LeaseLostError(this.name, 'not taken');
    if (this.clock.nowMs() >= this.validUntilMs) throw new LeaseLostError(this.name, `term ${term} not renewed in time`);
  }

  /** The fencing check before a publish: throws LeaseLostError unless this instance still holds the lease. */
  async assertHeld(): Promise<void> {
    const term = this.term;
    if (term === undefined) throw new LeaseLostError(this.name, 'not taken');
    if (this.clock.nowMs() >= this.validUntilMs) throw new LeaseLostError(this.name, `term ${term} not renewed in time`);
    if (!(await this.checkNotTakenOver())) throw new LeaseLostError(this.name, `term ${term + 1} was taken by another instance`);
    // The read itself may have been slow (or the process paused while it ran).
    if (this.clock.nowMs() >= this.validUntilMs) throw new LeaseLostError(this.name, `term ${term} ran out during the check`);
  }

  /** Gives the lease up at once (shutdown): the next instance takes it without waiting for the expiry. */
  async release(): Promise<void> {
    const term = this.term;
    this.term = undefined;
    if (term === undefined) return;
    await this.leases.updateOne({ _id: this.idOf(term), owner: this.owner }, { $set: { until: new Date(0) } });
  }

  private async checkNotTakenOver(): Promise<boolean> {
    const term = this.term;
    if (term === undefined) return false;
    const next = await withTransientRetry(() => this.leases.findOne({ _id: this.idOf(term + 1) }, { projection: { _id: 1 } }));
    return next === null ? true : this.lost();
  }

  private lost(): false {
    this.term = undefined;
    return false;
  }

  private idOf(term: number): string {
    return `${this.name}#${term}`;
  }
}
