import { ProblemError } from '@keyward/problem';

/**
 * Another writer appended to the stream first: the caller's view of the aggregate is stale.
 * Retriable: reload, decide again, append again.
 */
export class ConcurrencyError extends ProblemError {
  readonly retriable = true;

  constructor(readonly aggregateId: string, readonly expectedVersion: number) {
    // Answered as 409 `concurrent_modification` wherever it reaches HTTP.
    super(409, 'concurrent_modification', 'Concurrent modification',
      `${aggregateId} was changed by another request at the same time (after version ${expectedVersion}); read it again and retry`);
    this.name = 'ConcurrencyError';
  }
}

export function isDuplicateKeyError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const { code, writeErrors } = e as { code?: unknown; writeErrors?: { code?: unknown }[] };
  return code === 11000 || (Array.isArray(writeErrors) && writeErrors.some((w) => w.code === 11000));
}
