/**
 * Another writer appended to the stream first: the caller's view of the aggregate is stale.
 * Retriable: reload, decide again, append again.
 */
export class ConcurrencyError extends Error {
  readonly retriable = true;

  constructor(readonly aggregateId: string, readonly expectedVersion: number) {
    super(`stream ${aggregateId} moved past version ${expectedVersion} while this command was being decided`);
    this.name = 'ConcurrencyError';
  }
}

export function isDuplicateKeyError(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const { code, writeErrors } = e as { code?: unknown; writeErrors?: { code?: unknown }[] };
  return code === 11000 || (Array.isArray(writeErrors) && writeErrors.some((w) => w.code === 11000));
}
