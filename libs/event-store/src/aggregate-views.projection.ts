import type { EventEnvelope } from '@keyward/contracts';
import type { ProjectionStatus, RebuildableProjection, RebuildProgress, RebuildResult } from '@keyward/projections';
import type { AggregateDefinition } from './aggregate-store';
import { readEvent } from './aggregate-store';
import type { MongoEventStore } from './mongo-event-store';
import type { MongoViewStore, ViewBase } from './view-store';

/**
 * The service's read model of its own aggregates, as an operator sees it: rebuildable from the
 * event store (every stream folded again), compared with the live views, then swapped in.
 */
export class AggregateViewsProjection<S, C, E extends EventEnvelope, V extends ViewBase> implements RebuildableProjection {
  constructor(
    readonly name: string,
    private readonly store: MongoEventStore,
    private readonly definition: AggregateDefinition<S, C, E>,
    private readonly views: MongoViewStore<V>,
    private readonly toView: (id: string, state: S) => V | undefined,
    private readonly topic: string,
  ) {}

  async status(): Promise<Omit<ProjectionStatus, 'rebuild'>> {
    const items = await this.views.collection.countDocuments({});
    // No query over the events (a scan on FerretDB): the position of this process's last append.
    const last = this.store.lastPosition();
    const unpublished = await this.store.countUnpublished();
    return {
      name: this.name, topic: this.topic, positions: { store: String(last) }, lag: unpublished, lastEventAt: null,
      items, caughtUp: true, applied: 0, duplicates: 0, gaps: 0,
    };
  }

  async rebuild(onProgress: (p: RebuildProgress) => void, signal?: AbortSignal): Promise<RebuildResult> {
    const started = Date.now();
    // The whole store, read once (a scan: an operator's rebuild, never a request path). The
    // target is the events counted when the rebuild starts.
    const target = await this.store.events.estimatedDocumentCount();
    const states = new Map<string, { state: S; version: number }>();
    let read = 0;
    let gaps = 0;
    for await (const batch of this.store.readAll(1000, signal)) {
      // A cancel, the deadline or shutdown stops it before anything is replaced.
      signal?.throwIfAborted();
      for (const e of batch) {
        const current = states.get(e.aggregateId) ?? { state: this.definition.initialState(), version: 0 };
        if (e.version !== current.version + 1) gaps++;
        states.set(e.aggregateId, { state: this.definition.evolve(current.state, readEvent(this.definition.events, e)), version: e.version });
        read++;
      }
      onProgress({ read, target, lag: Math.max(0, target - read), eventsPerSecond: Math.round(read / Math.max((Date.now() - started) / 1000, 0.001)) });
    }
    signal?.throwIfAborted();
    const rebuilt = [...states].map(([id, s]) => this.toView(id, s.state)).filter((v): v is V => v !== undefined);
    const live = new Map((await this.views.all()).map((v) => [v.id, JSON.stringify(sortKeys(v))]));
    signal?.throwIfAborted();
    const matchedLive = live.size === rebuilt.length && rebuilt.every((v) => live.get(v.id) === JSON.stringify(sortKeys(v)));
    await this.views.replaceAll(rebuilt);
    return { applied: read, duplicates: 0, gaps, items: rebuilt.length, durationMs: Date.now() - started, matchedLive };
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, sortKeys(v)]));
  }
  return value;
}
