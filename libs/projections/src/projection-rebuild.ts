import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import type { Collection } from 'mongoose';
import type { EventEnvelope } from '@keyward/contracts';
import type { ConsumerView } from '@keyward/service-runtime';
import type { ProjectionIndex } from './indexed-projection';
import type { RebuildPhase, RebuildProgress, RebuildResult } from './projection';
import { RebuildStopped } from './projection';
import { TopicReader } from './topic-reader';
import { FERRETDB_SAFE_WRITE_BATCH } from './view-writes';

/** A persisted view: the view's own fields plus its id. */
interface ViewDoc { _id: string; [field: string]: unknown }

export interface RebuildCounts { applied: number; duplicates: number; gaps: number; malformed: number }

/** What a rebuild needs of the projection it rebuilds (kept apart from the live consumer's code). */
export interface RebuildHost<V extends ConsumerView, I extends ProjectionIndex<V>> {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly createIndex: () => I;
  /** How an event is applied to an index (the live consumer's dispatch); default: the index's own apply. */
  readonly apply?: (index: I, event: EventEnvelope) => ReturnType<ProjectionIndex<V>['apply']>;
  /** The message as an event, or undefined when the projection skips it (the live consumer dead-letters those). */
  readonly readEvent: (value: Buffer | null) => EventEnvelope | undefined;
  /** The index the service reads now. */
  live(): I;
  /**
   * Per partition, the offset after the last message the live consumer has applied to `live()`,
   * updated in the same synchronous step as the apply (not only after its persist and commit).
   */
  appliedPositions(): ReadonlyMap<number, bigint>;
  /** Makes `fresh` the index the service reads (one assignment). */
  swapIndex(fresh: I): void;
  /** Takes over the rebuild's counts at the swap (the counters restart from the rebuild's). */
  adoptCounts(counts: RebuildCounts, lastEventAt: string | null): void;
  /**
   * Makes the database hold the live index's views of `ids` (current at the time of writing, and
   * never overwritten by an older one the live consumer was writing) and drops the persisted views
   * of `gone` the index no longer holds.
   */
  persistViews(ids: readonly string[], gone: readonly string[], signal: AbortSignal): Promise<{ written: number; deleted: number }>;
}

/** Views compared per turn of the event loop. */
const COMPARE_SLICE = 2000;

/**
 * Rebuilds from the start of the topic into a new index while the service keeps answering from
 * the current one, then swaps in one synchronous step and persists what differs.
 *
 * Why the swap waits for the reader to be at or past the live consumer on every partition: an
 * event the live consumer applied to the old index but the new one has not read yet would
 * otherwise reach the new index only from the reader, possibly after the live consumer handed it
 * the aggregate's next event; the version check would then drop the earlier one as a duplicate
 * (a disable lost behind a later change). With reader >= live at the swap, each partition reaches
 * the new index in order: everything below the reader's position from the reader, the rest from
 * the live consumer; the reader stops at the swap.
 *
 * Nothing here blocks the event loop for long: the reader hands over slices, the comparison and
 * the persist work in slices, each followed by a turn of the event loop. The database sees no
 * whole-collection read: the persisted views are the live index's (the live consumer wrote every
 * change), so only the views that differ between the two indexes are written.
 */
export async function rebuildIndexedProjection<V extends ConsumerView, I extends ProjectionIndex<V>>(
  host: RebuildHost<V, I>,
  onProgress: (p: RebuildProgress) => void,
  signal: AbortSignal,
  onPhase: (phase: RebuildPhase) => void = () => undefined,
): Promise<RebuildResult> {
  const started = Date.now();
  const fresh = host.createIndex();
  const counts: RebuildCounts = { applied: 0, duplicates: 0, gaps: 0, malformed: 0 };
  let lastEventAt: string | null = null;
  let swapped = false;
  /** Events this rebuild applied that the live consumer had not applied yet when they were read. */
  const ahead: { partition: number; offset: bigint; id: string }[] = [];
  const reader = new TopicReader(host.kafka, host.topic, (partition, messages) => {
    // From the swap on, the live consumer feeds the new index.
    if (swapped) return;
    const liveAt = host.appliedPositions().get(partition) ?? 0n;
    for (const m of messages) {
      const event = host.readEvent(m.value);
      if (!event) {
        counts.malformed++;
        continue;
      }
      let r: ReturnType<ProjectionIndex<V>['apply']>;
      try {
        r = host.apply ? host.apply(fresh, event) : fresh.apply(event);
      } catch {
        // The live consumer dead-letters an event whose apply throws; the rebuild skips it the same way.
        counts.malformed++;
        continue;
      }
      if (r === 'duplicate') {
        counts.duplicates++;
        continue;
      }
      if (r === 'quarantined') {
        // Not applied (past a version gap): the live consumer dead-letters it and counts it as a gap.
        counts.gaps++;
        continue;
      }
      counts.applied++;
      if (r === 'gap') counts.gaps++;
      if (lastEventAt === null || event.occurredAt > lastEventAt) lastEventAt = event.occurredAt;
      const offset = BigInt(m.offset);
      if (offset >= liveAt) ahead.push({ partition, offset, id: event.aggregateId });
    }
  }, { signal });
  const report = (): void => {
    const p = reader.progress();
    onProgress({ ...p, lag: Math.max(0, p.target - p.read) });
  };
  const ticker = setInterval(report, 250);
  ticker.unref();
  try {
    onPhase('reading');
    await reader.readToEnd();
    report();

    onPhase('comparing');
    const diff = await compareIndexes(host.live(), fresh, signal);

    onPhase('swapping');
    await reader.extendTo();
    let liveAtSwap = new Map<number, bigint>();
    await reader.until(() => {
      const applied = host.appliedPositions();
      const read = reader.positions();
      for (const [p, at] of applied) if ((read.get(p) ?? 0n) < at) return false;
      // In the same synchronous step as the check: the live consumer cannot apply in between.
      host.swapIndex(fresh);
      swapped = true;
      liveAtSwap = new Map(applied);
      host.adoptCounts(counts, lastEventAt);
      onPhase('persisting');
      return true;
    });
    const swappedAfterMs = Date.now() - started;
    report();
    clearInterval(ticker);
    await reader.close();

    // Only a shutdown stops the persist now: the rebuilt index serves, and each view written is
    // its current one. A view not written yet is still the live consumer's (as consistent as before).
    const persistSignal = afterSwap(signal);
    const write = new Set(diff.changed);
    for (const a of ahead) if (a.offset >= (liveAtSwap.get(a.partition) ?? 0n)) write.add(a.id);
    const { written, deleted } = await host.persistViews([...write], diff.gone, persistSignal);
    onPhase('done');
    return {
      applied: counts.applied, duplicates: counts.duplicates, gaps: counts.gaps, items: fresh.size, durationMs: Date.now() - started,
      matchedLive: diff.changed.size === 0 && diff.gone.length === 0, swappedAfterMs, viewsWritten: written, viewsDeleted: deleted,
    };
  } finally {
    clearInterval(ticker);
    await reader.close();
  }
}

/**
 * Writes the index's current views of `ids` and deletes the views of `gone` it no longer holds,
 * by `_id`, in small bulk writes with a turn of the event loop between them.
 */
export async function writeViewsById<V extends ConsumerView>(
  views: Collection<ViewDoc>,
  index: ProjectionIndex<V>,
  ids: readonly string[],
  gone: readonly string[],
  signal?: AbortSignal,
): Promise<{ written: number; deleted: number }> {
  let written = 0;
  let deleted = 0;
  for (let i = 0; i < ids.length; i += FERRETDB_SAFE_WRITE_BATCH) {
    signal?.throwIfAborted();
    const batch = ids.slice(i, i + FERRETDB_SAFE_WRITE_BATCH).flatMap((id) => {
      const v = index.get(id);
      return v ? [v] : [];
    });
    if (batch.length > 0) {
      await views.bulkWrite(batch.map((v) => ({
        replaceOne: { filter: { _id: v.id }, replacement: { ...v, _id: v.id }, upsert: true },
      })), { ordered: false });
      written += batch.length;
    }
    await yieldToEventLoop();
  }
  const stillGone = gone.filter((id) => index.get(id) === undefined);
  for (let i = 0; i < stillGone.length; i += FERRETDB_SAFE_WRITE_BATCH) {
    signal?.throwIfAborted();
    const r = await views.deleteMany({ _id: { $in: stillGone.slice(i, i + FERRETDB_SAFE_WRITE_BATCH) } });
    deleted += r.deletedCount;
  }
  return { written, deleted };
}

/**
 * The ids whose views differ between the live index and the rebuilt one (changed or new), and
 * the ids only the live index holds; compared in slices, yielding between them.
 */
async function compareIndexes<V extends ConsumerView>(
  live: ProjectionIndex<V>,
  fresh: ProjectionIndex<V>,
  signal: AbortSignal,
): Promise<{ changed: Set<string>; gone: string[] }> {
  const changed = new Set<string>();
  const gone: string[] = [];
  const liveViews = live.snapshot();
  for (let i = 0; i < liveViews.length; i += COMPARE_SLICE) {
    signal.throwIfAborted();
    for (const view of liveViews.slice(i, i + COMPARE_SLICE)) {
      const other = fresh.get(view.id);
      if (!other) gone.push(view.id);
      else if (!sameView(view, other)) changed.add(view.id);
    }
    await yieldToEventLoop();
  }
  const freshViews = fresh.snapshot();
  for (let i = 0; i < freshViews.length; i += COMPARE_SLICE) {
    signal.throwIfAborted();
    for (const view of freshViews.slice(i, i + COMPARE_SLICE)) if (!live.get(view.id)) changed.add(view.id);
    await yieldToEventLoop();
  }
  return { changed, gone };
}

/** A signal that follows `signal` only for a shutdown: past the swap, a cancel or a deadline no longer applies. */
function afterSwap(signal: AbortSignal): AbortSignal {
  const controller = new AbortController();
  const follow = (): void => {
    const reason: unknown = signal.reason;
    if (reason instanceof RebuildStopped && reason.why === 'shutdown') controller.abort(reason);
  };
  if (signal.aborted) follow();
  else signal.addEventListener('abort', follow, { once: true });
  return controller.signal;
}

/** Whether two views are equal: the same JSON, or the same fields in another order. */
function sameView(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b) || canonical(a) === canonical(b);
}

/** JSON with sorted keys, so equal views compare equal whatever order their fields were set in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : 1))) : v);
}
