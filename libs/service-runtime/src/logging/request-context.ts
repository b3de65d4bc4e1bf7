import type { Logger as Pino } from 'pino';
import { Store, storage } from 'nestjs-pino/storage';

/** A caller's own correlation id, passed on by the edge like any header; else the request id is it. */
export const CORRELATION_ID_HEADER = 'x-correlation-id';

/**
 * Runs the rest of a request inside its own logger (a pino child carrying `reqId` and
 * `correlationId`), in nestjs-pino's async-local storage: every Nest `Logger` call made while the
 * request is handled, in a guard, a filter or a service, writes both on its line.
 */
export function requestScopeLogger(root: Pino, reqId: string, correlationId: string): Pino {
  return root.child({ reqId, correlationId });
}

export function runInRequestScope(log: Pino, next: () => void): void {
  storage.run(new Store(log), next);
}

/** The logger of the request being handled, if any (else undefined). */
export function requestLogger(): Pino | undefined {
  return storage.getStore()?.logger;
}
