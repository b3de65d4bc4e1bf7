/** What operators see of a projection. */
export interface ProjectionStatus {
  readonly name: string;
  readonly topic: string;
  /** Next offset to read, per partition. */
  readonly positions: Record<string, string>;
  /** Messages on the topic not applied yet (sum over partitions). */
  readonly lag: number;
  readonly lastEventAt: string | null;
  /** Entities held (keys, sessions, ...). */
  readonly items: number;
  readonly caughtUp: boolean;
  readonly applied: number;
  readonly duplicates: number;
  readonly gaps: number;
  /** Projections with a live consumer (IndexedProjection): its state, restarts, last error and dead letters. */
  readonly consumer?: 'running' | 'restarting' | 'stopped';
  readonly restarts?: number;
  readonly lastError?: string | null;
  readonly deadLetters?: number;
  readonly rebuild: RebuildJobStatus | null;
}

export interface RebuildProgress {
  /** Messages read so far. */
  readonly read: number;
  /** Messages to reach the end of the topic as it was when the read started. */
  readonly target: number;
  readonly lag: number;
  readonly eventsPerSecond: number;
}

export interface RebuildResult {
  readonly applied: number;
  readonly duplicates: number;
  readonly gaps: number;
  readonly items: number;
  readonly durationMs: number;
  /** The rebuilt state was identical to the live one it replaced. */
  readonly matchedLive: boolean;
  /** From the start to the moment the rebuilt state was swapped in (serving). */
  readonly swappedAfterMs?: number;
  /** Views written (and deleted) after the swap so the database matches the rebuilt state. */
  readonly viewsWritten?: number;
  readonly viewsDeleted?: number;
}

/**
 * Where a rebuild is: `reading` the topic from its start into a new state; `comparing` it with the
 * live one; `swapping` (waiting until the new state has read at least what the live one applied,
 * then swapping in one step); `persisting` the views that differ; `done`. Until the swap the live
 * state serves and a cancel, timeout or failure leaves it serving; after it the rebuilt one serves.
 */
export type RebuildPhase = 'reading' | 'comparing' | 'swapping' | 'persisting' | 'done';

export type RebuildState = 'running' | 'succeeded' | 'failed' | 'cancelled';

/** Why a running rebuild was stopped (the reason of the AbortSignal the registry gives it). */
export class RebuildStopped extends Error {
  constructor(readonly why: 'cancelled' | 'timeout' | 'shutdown', message: string) {
    super(message);
    this.name = 'RebuildStopped';
  }
}

export interface RebuildJobStatus {
  readonly id: string;
  readonly projection: string;
  readonly state: RebuildState;
  readonly phase: RebuildPhase;
  /** The swap happened: the rebuilt state serves (a later failure concerns only persisting its views). */
  readonly swapped: boolean;
  readonly startedAt: string;
  /** The job fails when it has not finished by then (REBUILD_TIMEOUT_MS). */
  readonly deadline: string;
  readonly finishedAt: string | null;
  readonly progress: RebuildProgress;
  readonly result: RebuildResult | null;
  readonly error: string | null;
}

/** GET /admin/projections/{name}/applied/{aggregateId}: has this instance applied a version of an aggregate, and when. */
export interface AppliedStatus {
  readonly projection: string;
  readonly aggregateId: string;
  /** The version asked for (or later) is applied in this instance's index. */
  readonly applied: boolean;
  /** The aggregate's version in the index now (null: not held). */
  readonly version: number | null;
  /** The change that applied it, when it is among the last ones applied (else null: applied earlier, or loaded). */
  readonly change: {
    readonly version: number;
    readonly type: string;
    readonly partition: number;
    readonly offset: string;
    /** The event's own time (its service recorded the change then). */
    readonly occurredAt: string;
    readonly producedAt: string;
    readonly appliedAt: string;
    /** Epoch ms with a sub-millisecond fraction, for comparing with another process's clock on the same machine. */
    readonly appliedAtMs: number;
    /** From the record's timestamp to the apply. */
    readonly lagMs: number;
  } | null;
}

/**
 * A projection operators can inspect and rebuild from the start of its topic while the service
 * keeps answering from the current state, then swap.
 */
export interface RebuildableProjection {
  readonly name: string;
  status(): Promise<Omit<ProjectionStatus, 'rebuild'>>;
  /**
   * Whether `version` (or later) of the aggregate is applied here, waiting up to `waitMs` for it;
   * only projections that consume a topic have it.
   */
  whenApplied?(aggregateId: string, version: number, waitMs: number, signal?: AbortSignal): Promise<AppliedStatus>;
  /**
   * Rebuilds and swaps. `signal` aborts it (with a RebuildStopped reason): before the swap the live
   * state stays as it was; the promise rejects once the rebuild has stopped.
   */
  rebuild(onProgress: (p: RebuildProgress) => void, signal: AbortSignal, onPhase?: (phase: RebuildPhase) => void): Promise<RebuildResult>;
}
