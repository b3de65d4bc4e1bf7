import type { EventEnvelope } from '@keyward/contracts';
import type { ProjectionStatus, RebuildableProjection, RebuildProgress, RebuildResult } from '@keyward/projections';
import type { AggregateDefinition } from './aggregate-store';
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
    const last = await this.store.lastPosition();
    const unpublished = await this.store.countUnpublished();
    return {
      name: this.name, topic: this.topic, positions: { store: String(last) }, lag: unpublished, lastEventAt: null,
      items, caughtUp: true, applied: 0, duplicates: 0, gaps: 0,
    };
  }

  async rebuild(onProgress: (p: RebuildProgress) => void, signal?: AbortSignal): Promise<RebuildResult> {
    const started = Date.now();
    const target = await this.store.lastPosition();
    const states = new Map<string, { state: S; version: number }>();
    let read = 0;
    let position = 0;
    let gaps = 0;
    for (;;) {
      // A cancel, the deadline or shutdown stops it before anything is replaced.
      signal?.throwIfAborted();
      const batch = await this.store.readAll(position, 1000);
      if (batch.length === 0) break;
      for (const e of batch) {
        const current = states.get(e.aggregateId) ?? { state: this.definition.initialState(), version: 0 };
        if (e.version !== current.version + 1) gaps++;
        states.set(e.aggregateId, { state: this.definition.evolve(current.state, e as unknown as E), version: e.version });
        read++;
      }
      position = batch[batch.length - 1]?.position ?? position;
      onProgress({ read, target, lag: Math.max(0, target - position), eventsPerSecond: Math.round(read / Math.max((Date.now() - started) / 1000, 0.001)) });
    }
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
