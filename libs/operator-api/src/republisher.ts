import { Injectable } from '@nestjs/common';
import type { MongoEventStore } from '@keyward/event-store';
import { toEnvelope } from '@keyward/event-store';
import type { RecordSender } from '@keyward/messaging';

export interface RepublishStatus {
  readonly state: 'running' | 'succeeded' | 'failed';
  readonly fromPosition: number;
  readonly position: number;
  readonly published: number;
  readonly target: number;
  readonly eventsPerSecond: number;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly error: string | null;
}

/**
 * Republishes the service's own event store to its topic from a position, each stream in version
 * order and keyed by aggregate (disaster recovery when a topic was lost). Idempotent: the envelopes are the
 * stored ones, ids and versions unchanged, so consumers drop what they have already applied.
 */
@Injectable()
export class Republisher {
  private current: RepublishStatus | null = null;

  status(): RepublishStatus | null {
    return this.current;
  }

  start(store: MongoEventStore, producer: RecordSender, topic: string, fromPosition: number): { started: boolean; status: RepublishStatus } {
    if (this.current?.state === 'running') return { started: false, status: this.current };
    const startedAt = Date.now();
    let status: RepublishStatus = {
      state: 'running', fromPosition, position: fromPosition, published: 0, target: 0, eventsPerSecond: 0,
      startedAt: new Date(startedAt).toISOString(), finishedAt: null, error: null,
    };
    this.current = status;
    const update = (patch: Partial<RepublishStatus>): void => {
      status = { ...status, ...patch };
      this.current = status;
    };
    void (async () => {
      // One pass over the store (a scan, O(events): operator work), each stream in version order.
      update({ target: await store.events.estimatedDocumentCount() });
      let position = fromPosition;
      for await (const all of store.readAll(500)) {
        // `fromPosition` is an append position (the appender's clock in µs, see StoredEventDoc).
        const batch = all.filter((e) => e.position > fromPosition);
        if (batch.length === 0) continue;
        await producer.send({
          topic,
          acks: -1,
          messages: batch.map((e) => ({ key: e.aggregateId, value: JSON.stringify(toEnvelope(e)), headers: { type: e.type, schemaVersion: String(e.schemaVersion) } })),
        });
        position = Math.max(position, ...batch.map((e) => e.position));
        const published = status.published + batch.length;
        update({ position, published, eventsPerSecond: Math.round(published / Math.max((Date.now() - startedAt) / 1000, 0.001)) });
      }
      update({ state: 'succeeded', finishedAt: new Date().toISOString() });
    })().catch((e: unknown) => update({ state: 'failed', finishedAt: new Date().toISOString(), error: e instanceof Error ? e.message : String(e) }));
    return { started: true, status };
  }
}
