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
}

export interface RebuildJobStatus {
  readonly id: string;
  readonly projection: string;
  readonly state: 'running' | 'succeeded' | 'failed';
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly progress: RebuildProgress;
  readonly result: RebuildResult | null;
  readonly error: string | null;
}

/**
 * A projection operators can inspect and rebuild from the start of its topic while the service
 * keeps answering from the current state, then swap.
 */
export interface RebuildableProjection {
  readonly name: string;
  status(): Promise<Omit<ProjectionStatus, 'rebuild'>>;
  rebuild(onProgress: (p: RebuildProgress) => void): Promise<RebuildResult>;
}
