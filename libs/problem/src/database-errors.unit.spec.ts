import type { ArgumentsHost } from '@nestjs/common';
import { isDatabaseUnreachableError, isTransientDatabaseError } from './database-errors';
import { ProblemFilter } from './problem.filter';

const named = (name: string, message: string, extra: Record<string, unknown> = {}): Error => Object.assign(new Error(message), { name }, extra);

describe('database error classification', () => {
  it.each([
    ['MongoServerSelectionError', 'Server selection timed out after 1000 ms'],
    ['MongoNetworkError', 'connection 3 to 127.0.0.1:27017 closed'],
    ['MongoNetworkTimeoutError', 'connection timed out'],
    ['MongoPoolClearedError', 'Connection pool for 127.0.0.1:27017 was cleared because another operation failed'],
    ['MongoNotConnectedError', 'Client must be connected before running operations'],
    ['MongoTopologyClosedError', 'Topology is closed'],
    ['MongooseError', 'Operation `events.find()` buffering timed out after 10000ms'],
    ['Error', 'This socket has been ended by the other party'],
  ])('counts %s as the database being unreachable', (name, message) => {
    expect(isDatabaseUnreachableError(named(name, message))).toBe(true);
    expect(isTransientDatabaseError(named(name, message))).toBe(false);
  });

  it.each([
    ['FerretDB on SQLite, busy', named('MongoServerError', 'database is locked (5) (SQLITE_BUSY)', { code: 1 })],
    ['a write conflict', named('MongoServerError', 'WriteConflict error', { code: 112, codeName: 'WriteConflict' })],
    ['a busy bulk write', named('MongoBulkWriteError', 'bulk failed', { writeErrors: [{ code: 1, message: 'database is locked' }] })],
    ['a transient label', named('MongoServerError', 'conflict', { errorLabels: ['TransientTransactionError'] })],
  ])('counts %s as transient (retried briefly)', (_what, error) => {
    expect(isTransientDatabaseError(error)).toBe(true);
  });

  it('counts neither a duplicate key nor an unrelated error', () => {
    const duplicate = named('MongoServerError', 'E11000 duplicate key error', { code: 11000 });
    expect(isTransientDatabaseError(duplicate)).toBe(false);
    expect(isDatabaseUnreachableError(duplicate)).toBe(false);
    expect(isDatabaseUnreachableError(new TypeError('x is undefined'))).toBe(false);
    expect(isDatabaseUnreachableError(named('Error', 'ECONNREFUSED elsewhere'))).toBe(false);
  });
});

describe('ProblemFilter on database failures', () => {
  function answer(exception: unknown): { status: number; headers: Record<string, string>; body: Record<string, unknown> } {
    const out = { status: 0, headers: {} as Record<string, string>, body: {} as Record<string, unknown> };
    const res = {
      headersSent: false,
      getHeader: (n: string) => out.headers[n.toLowerCase()],
      setHeader: (n: string, v: string) => { out.headers[n.toLowerCase()] = v; },
      status(s: number) { out.status = s; return this; },
      type() { return this; },
      send(b: string) { out.body = JSON.parse(b) as Record<string, unknown>; return this; },
    };
    // A fake of only what the filter calls: Nest's ArgumentsHost has members no fake needs, so no type but a cast.
    const host = { switchToHttp: () => ({ getRequest: () => ({ method: 'GET', originalUrl: '/v1/devices?x=1' }), getResponse: () => res }) } as unknown as ArgumentsHost;
    new ProblemFilter().catch(exception, host);
    return out;
  }

  it('answers an unreachable database 503 database_unavailable with Retry-After, not 500', () => {
    const a = answer(named('MongoServerSelectionError', 'Server selection timed out after 1000 ms'));
    expect(a.status).toBe(503);
    expect(a.body).toMatchObject({ code: 'database_unavailable', status: 503, instance: '/v1/devices' });
    expect(Number(a.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('answers a database still busy after the retries 503 database_unavailable', () => {
    const a = answer(named('MongoServerError', 'database is locked (SQLITE_BUSY)', { code: 1 }));
    expect(a.status).toBe(503);
    expect(a.body['code']).toBe('database_unavailable');
  });

  it('still answers a real bug 500 internal_error', () => {
    expect(answer(new TypeError('x is undefined')).status).toBe(500);
  });
});
