/**
 * How the database's failures are told apart, by the shape the MongoDB driver and mongoose give
 * them (names, codes, labels, messages), without importing either: the same rules serve the data
 * layer's retries (libs/event-store) and the HTTP answer (ProblemFilter).
 */

interface ErrorShape {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly codeName?: unknown;
  readonly errorLabels?: unknown;
  readonly errorLabelSet?: unknown;
  readonly cause?: unknown;
  readonly writeErrors?: unknown;
}

function shapeOf(e: unknown): ErrorShape | undefined {
  return typeof e === 'object' && e !== null ? (e as ErrorShape) : undefined;
}

function labelsOf(s: ErrorShape): string[] {
  if (Array.isArray(s.errorLabels)) return s.errorLabels.filter((l): l is string => typeof l === 'string');
  if (s.errorLabelSet instanceof Set) return [...s.errorLabelSet].filter((l): l is string => typeof l === 'string');
  return [];
}

/** The driver cannot reach a server, or lost the connection to it. */
const UNREACHABLE_NAMES = new Set([
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoPoolClearedError',
  'PoolClearedError',
  'PoolClearedOnNetworkError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoServerClosedError',
  'MongoOperationTimeoutError',
  'MongoWaitQueueTimeoutError',
  'WaitQueueTimeoutError',
]);

const UNREACHABLE_MESSAGE = /buffering timed out|before initial connection is complete|Connection was force closed|connection .* (closed|timed out)|ECONNREFUSED|ECONNRESET|EPIPE|Server selection timed out|Topology is closed|client must be connected/i;

/** SQLite (FerretDB's backend) or the server refused because another writer holds the lock. */
const BUSY_MESSAGE = /SQLITE_BUSY|SQLITE_LOCKED|database is locked|database table is locked/i;

/** MongoDB's codes for "another operation got in the way, try again". */
const TRANSIENT_CODES = new Set([112 /* WriteConflict */, 117 /* ConflictingOperationInProgress */, 24 /* LockTimeout */, 46 /* LockBusy */, 91 /* ShutdownInProgress */, 189 /* PrimarySteppedDown */, 10107 /* NotWritablePrimary */, 11600 /* InterruptedAtShutdown */, 11602 /* InterruptedDueToReplStateChange */, 13435 /* NotPrimaryNoSecondaryOk */]);

/** True when the database could not be reached at all: answered 503 `database_unavailable`, never retried inline. */
export function isDatabaseUnreachableError(e: unknown, depth = 0): boolean {
  const s = shapeOf(e);
  if (!s || depth > 6) return false;
  if (typeof s.name === 'string' && UNREACHABLE_NAMES.has(s.name)) return true;
  // The driver labels network failures (and only those, among non-server errors) this way.
  if (labelsOf(s).some((l) => l === 'ResetPool' || l === 'PoolRequstedRetry' || l === 'RetryableWriteError')) return true;
  if (typeof s.name === 'string' && /^Mongo|^Mongoose/.test(s.name) && typeof s.message === 'string' && UNREACHABLE_MESSAGE.test(s.message)) return true;
  // A raw socket failure surfacing from the driver (the database died mid-write): no code of ours
  // talks to a socket on a request path other than through the database driver.
  if (typeof s.code === 'string' && /^(EPIPE|ECONNRESET|ECONNREFUSED|ECONNABORTED|ETIMEDOUT)$/.test(s.code)) return true;
  if (typeof s.message === 'string' && /This socket has been ended by the other party/.test(s.message)) return true;
  return isDatabaseUnreachableError(s.cause, depth + 1);
}

/**
 * True for a database error that a short wait and another attempt get past: a busy SQLite lock,
 * a write conflict. Retried briefly by the data layer (withTransientRetry), then answered 503.
 */
export function isTransientDatabaseError(e: unknown, depth = 0): boolean {
  const s = shapeOf(e);
  if (!s || depth > 6) return false;
  if (typeof s.message === 'string' && BUSY_MESSAGE.test(s.message)) return true;
  if (typeof s.code === 'number' && TRANSIENT_CODES.has(s.code)) return true;
  if (typeof s.codeName === 'string' && /^(WriteConflict|LockBusy|LockTimeout)$/.test(s.codeName)) return true;
  if (labelsOf(s).includes('TransientTransactionError')) return true;
  if (Array.isArray(s.writeErrors) && s.writeErrors.some((w) => isTransientDatabaseError(w, depth + 1))) return true;
  return isTransientDatabaseError(s.cause, depth + 1);
}

/** Either kind: the request failed because of the database's state, not because of the request. */
export function isDatabaseFailure(e: unknown): boolean {
  return isDatabaseUnreachableError(e) || isTransientDatabaseError(e);
}
