import type { Kafka } from 'kafkajs';
import type { Collection } from 'mongoose';
import type { EventEnvelope } from '@keyward/contracts';
import type { ProjectionIndex } from './indexed-projection';
import type { RebuildProgress, RebuildResult } from './projection';
import { TopicReader } from './topic-reader';

/** A persisted view: the view's own fields plus its id. */
interface ViewDoc { _id: string; [field: string]: unknown }

export interface RebuildCounts { applied: number; duplicates: number; gaps: number; malformed: number }

/** What a rebuild needs of the projection it rebuilds (kept apart from the live consumer's code). */
export interface RebuildHost<V extends { readonly id: string }, I extends ProjectionIndex<V>> {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly createIndex: () => I;
  readonly parse: (value: Buffer | null) => EventEnvelope | undefined;
  /** The persisted views, in the service's own database. */
  readonly views: Collection<ViewDoc>;
  /** The index the service reads now. */
  live(): I;
  /** Makes `fresh` the index the service reads (one assignment). */
  swapIndex(fresh: I): void;
  /** Takes over the rebuild's counts once the final read after the swap is done. */
  adoptCounts(counts: RebuildCounts, lastEventAt: string | null): void;
}

/**
 * Rebuilds from the start of the topic into a new index while the service keeps answering from
 * the current one, then swaps in one assignment. The live consumer never stops: after the swap
 * it applies to the new index, and the reader reads on to the end once more, so an event that
 * arrived during the swap reaches the new index by one of the two (the other drops it by version).
 */
export async function rebuildIndexedProjection<V extends { readonly id: string }, I extends ProjectionIndex<V>>(
  host: RebuildHost<V, I>,
  onProgress: (p: RebuildProgress) => void,
): Promise<RebuildResult> {
  const started = Date.now();
  const fresh = host.createIndex();
  const counts: RebuildCounts = { applied: 0, duplicates: 0, gaps: 0, malformed: 0 };
  let lastEventAt: string | null = null;
  const reader = new TopicReader(host.kafka, host.topic, (_partition, messages) => {
    for (const m of messages) {
      const event = host.parse(m.value);
      if (!event) {
        counts.malformed++;
        continue;
      }
      const r = fresh.apply(event);
      if (r === 'duplicate') {
        counts.duplicates++;
        continue;
      }
      counts.applied++;
      if (r === 'gap') counts.gaps++;
      if (lastEventAt === null || event.occurredAt > lastEventAt) lastEventAt = event.occurredAt;
    }
  });
  const report = (): void => {
    const p = reader.progress();
    onProgress({ ...p, lag: Math.max(0, p.target - p.read) });
  };
  const ticker = setInterval(report, 250);
  try {
    await reader.readToEnd();
    // Read on to the end of now, so that the comparison sees (nearly) the same events as live.
    await reader.extendTo();
    const matchedLive = sameViews(host.live(), fresh);
    host.swapIndex(fresh);
    await reader.extendTo();
    host.adoptCounts(counts, lastEventAt);
    await persistAll(host.views, host.live());
    report();
    return { applied: counts.applied, duplicates: counts.duplicates, gaps: counts.gaps, items: fresh.size, durationMs: Date.now() - started, matchedLive };
  } finally {
    clearInterval(ticker);
    await reader.close();
  }
}

/**
 * Replaces the persisted views with the index's. The live consumer may write views at the same
 * time (always of keys in the index), so only views the index no longer holds are deleted; the
 * checkpoint stays the live consumer's.
 */
async function persistAll<V extends { readonly id: string }>(views: Collection<ViewDoc>, index: ProjectionIndex<V>): Promise<void> {
  const all = index.snapshot();
  for (let i = 0; i < all.length; i += 500) {
    await views.bulkWrite(all.slice(i, i + 500).map((v) => ({
      replaceOne: { filter: { _id: v.id }, replacement: { ...(v as unknown as Record<string, unknown>), _id: v.id }, upsert: true },
    })), { ordered: false });
  }
  const gone: string[] = [];
  for await (const doc of views.find({}, { projection: { _id: 1 } })) if (!index.get(doc._id)) gone.push(doc._id);
  for (let i = 0; i < gone.length; i += 500) await views.deleteMany({ _id: { $in: gone.slice(i, i + 500) } });
}

/** Whether two indexes hold the same views. */
function sameViews<V extends { readonly id: string }>(a: ProjectionIndex<V>, b: ProjectionIndex<V>): boolean {
  if (a.size !== b.size) return false;
  for (const view of a.snapshot()) {
    const other = b.get(view.id);
    if (!other || canonical(other) !== canonical(view)) return false;
  }
  return true;
}

/** JSON with sorted keys, so equal views compare equal whatever order their fields were set in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : 1))) : v);
}
