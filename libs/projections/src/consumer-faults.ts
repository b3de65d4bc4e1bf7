/** The state of a projection's live consumer, as operators and the fault suite see it. */
export type ConsumerState = 'running' | 'restarting' | 'stopped';

/** Restart delays of a supervised consumer: 250 ms doubling to 10 s, each up to 20 % shorter at random so instances spread out. */
export function restartDelayMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(10_000, 250 * 2 ** Math.min(attempt, 6));
  return Math.round(base * (0.8 + 0.2 * random()));
}

/** An error's message for logs and status (never a stack: it may be long and says nothing to operators). */
export function errorText(e: unknown): string {
  if (e instanceof Error) {
    const cause = e.cause instanceof Error && e.cause.message !== e.message ? ` (${e.cause.message})` : '';
    return `${e.name}: ${e.message}${cause}`.slice(0, 500);
  }
  return String(e).slice(0, 500);
}

/** A consumer that ran this long before failing restarts with the shortest delay again. */
const HEALTHY_RUN_MS = 30_000;

/**
 * The restart bookkeeping every supervised consumer shares (IndexedProjection, BatchConsumer, the
 * watermark consumers): at most one restart pending, after a delay that grows with each failure
 * in a row (restartDelayMs) and starts short again once the consumer had run for HEALTHY_RUN_MS.
 */
export class ConsumerRestarts {
  private attempt = 0;
  private runningSinceMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private scheduled = 0;

  /** Restarts scheduled since the process started. */
  get total(): number {
    return this.scheduled;
  }

  /** When the consumer last became running (0 while it is not). */
  get runningSince(): number {
    return this.runningSinceMs;
  }

  /** A restart is scheduled and has not run yet. */
  get pending(): boolean {
    return this.timer !== undefined;
  }

  /** The consumer runs (again) from now. */
  running(nowMs = Date.now()): void {
    this.runningSinceMs = nowMs;
  }

  /** Schedules `restart` after the next delay and answers that delay; nothing (undefined) while one is pending. */
  schedule(restart: () => void, nowMs = Date.now()): number | undefined {
    if (this.timer) return undefined;
    if (this.runningSinceMs > 0 && nowMs - this.runningSinceMs > HEALTHY_RUN_MS) this.attempt = 0;
    this.runningSinceMs = 0;
    const delay = restartDelayMs(this.attempt++);
    this.scheduled++;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      restart();
    }, delay);
    return delay;
  }

  /**
   * The usual restart, scheduled: what is left of `old` is disconnected, then, unless `stopped()`,
   * `start()` runs; a start that throws goes to `failed` (which schedules the next one).
   */
  restartConsumer(old: { disconnect(): Promise<void> } | undefined, start: () => Promise<void>, hooks: { stopped(): boolean; failed(e: unknown): void }): number | undefined {
    return this.schedule(() => {
      void (async () => {
        await old?.disconnect().catch(() => undefined);
        if (hooks.stopped()) return;
        try {
          await start();
        } catch (e) {
          hooks.failed(e);
        }
      })();
    });
  }

  /** Drops the pending restart (stop). */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
