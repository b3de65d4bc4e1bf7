import type { Collection, Connection } from 'mongoose';
import { withTransientRetry } from './transient-retry';

interface LeaseDoc {
  _id: string;
  owner: string;
  until: Date;
}

/**
 * A lease held in the database so that, of several instances of a service, one relay publishes
 * at a time (fewer duplicates on the topic, order kept). It expires on its own, so a crashed
 * holder is replaced after `ttlMs`. Correctness does not depend on it: duplicates are allowed
 * and consumers drop them by version; it only keeps them rare.
 */
export class RelayLease {
  private readonly leases: Collection<LeaseDoc>;

  constructor(connection: Connection, private readonly name: string, private readonly owner: string, private readonly ttlMs: number) {
    this.leases = connection.collection<LeaseDoc>('leases');
  }

  /** Takes or renews the lease; false when another live owner holds it. */
  async acquire(now: Date): Promise<boolean> {
    const until = new Date(now.getTime() + this.ttlMs);
    try {
      const res = await withTransientRetry(() => this.leases.findOneAndUpdate(
        { _id: this.name, $or: [{ owner: this.owner }, { until: { $lte: now } }] },
        { $set: { owner: this.owner, until } },
        { upsert: true, returnDocument: 'after' },
      ));
      return res?.owner === this.owner;
    } catch (e) {
      // The upsert raced another instance that holds a live lease: the filter did not match
      // and the insert hit the existing _id.
      if ((e as { code?: unknown }).code === 11000) return false;
      throw e;
    }
  }

  async release(): Promise<void> {
    await this.leases.deleteOne({ _id: this.name, owner: this.owner });
  }
}
