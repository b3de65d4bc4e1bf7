import { backoffDelay, pause } from '@keyward/messaging';
import { isTransientDatabaseError } from '@keyward/problem';

export interface TransientRetryOptions {
  /** Attempts in all (default 4: about 20 + 40 + 80 ms of pauses, jittered). */
  readonly attempts?: number;
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
}

/**
 * Runs one database operation, again after a short jittered pause when it failed on a state
 * that passes by itself (SQLite's "database is locked" under FerretDB, a write conflict). Bounded:
 * a database that stays busy fails the operation, which the ProblemFilter answers 503
 * `database_unavailable`. Only for operations that are safe to repeat after such a failure (the
 * server refused them before writing); an unreachable database is not retried here, the driver's
 * server selection already waited for it.
 */
export async function withTransientRetry<T>(op: () => Promise<T>, options: TransientRetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 4;
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (e) {
      if (attempt >= attempts || !isTransientDatabaseError(e)) throw e;
      await pause(backoffDelay(attempt, options.initialDelayMs ?? 20, options.maxDelayMs ?? 200));
    }
  }
}
