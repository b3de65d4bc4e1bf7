import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import { Catch, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { RuleViolation } from '@keyward/contracts';
import { isDatabaseUnreachableError, isTransientDatabaseError } from './database-errors';
import type { ProblemDetails } from './problem';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE, ProblemError } from './problem';

/** Codes for what Nest and Express raise themselves, by status. */
const CODE_BY_STATUS: Record<number, [code: string, title: string]> = {
  400: ['bad_request', 'Bad request'],
  401: ['unauthorized', 'Unauthorized'],
  403: ['forbidden', 'Forbidden'],
  404: ['not_found', 'Not found'],
  405: ['method_not_allowed', 'Method not allowed'],
  406: ['not_acceptable', 'Not acceptable'],
  409: ['conflict', 'Conflict'],
  413: ['payload_too_large', 'Payload too large'],
  415: ['unsupported_media_type', 'Unsupported media type'],
  422: ['unprocessable', 'Unprocessable request'],
  429: ['too_many_requests', 'Too many requests'],
  431: ['headers_too_large', 'Request header fields too large'],
  503: ['unavailable', 'Service unavailable'],
};

/**
 * Answers every error as RFC 9457 problem+json. Anything a client can cause maps to a 4xx with
 * a stable code; anything else is a 500 `internal_error` whose details stay in the log.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    const problem = this.toProblem(exception, req);
    if (res.headersSent) return;
    // A 503 says when to come back; clients and the edge back off instead of hammering.
    if (problem.status === 503 && !res.getHeader('retry-after')) res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS[problem.code] ?? 2));
    res.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
  }

  toProblem(exception: unknown, req: Request): ProblemDetails {
    const instance = req.originalUrl?.split('?')[0];
    if (exception instanceof ProblemError) return exception.toProblem(instance);
    if (exception instanceof RuleViolation) return fromRuleViolation(exception).toProblem(instance);
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status < 500) {
        const [code, title] = CODE_BY_STATUS[status] ?? ['client_error', 'Client error'];
        const detail = messageOf(exception.getResponse());
        return { type: PROBLEM_TYPE_BASE + code, title, status, code, ...(detail ? { detail } : {}), instance };
      }
    }
    const database = databaseProblem(exception, instance);
    if (database) {
      this.logDatabaseFailure(req, instance, exception);
      return database;
    }
    this.logger.error(`unhandled error on ${req.method} ${instance ?? ''}: ${describe(exception)}`);
    return { type: PROBLEM_TYPE_BASE + 'internal_error', title: 'Internal error', status: 500, code: 'internal_error', instance };
  }

  private lastDatabaseLogMs = 0;
  private suppressedDatabaseLogs = 0;

  /** One line per second at most: an outage fails every request, the log should not drown in it. */
  private logDatabaseFailure(req: Request, instance: string | undefined, e: unknown): void {
    const now = Date.now();
    if (now - this.lastDatabaseLogMs < 1000) {
      this.suppressedDatabaseLogs++;
      return;
    }
    const more = this.suppressedDatabaseLogs > 0 ? ` (and ${this.suppressedDatabaseLogs} more since the last line)` : '';
    this.lastDatabaseLogMs = now;
    this.suppressedDatabaseLogs = 0;
    this.logger.warn(`database unavailable on ${req.method} ${instance ?? ''}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}${more}`);
  }
}

/** Seconds a client should wait before retrying, by 503 code. */
const RETRY_AFTER_SECONDS: Record<string, number> = {
  database_unavailable: 2,
  overloaded: 1,
  authorization_unavailable: 5,
  not_ready: 2,
};

/**
 * The database could not be reached, timed out, or stayed busy through the data layer's short
 * retries: the request was fine, so this is a 503 `database_unavailable` the client may retry,
 * never a 500.
 */
function databaseProblem(e: unknown, instance: string | undefined): ProblemDetails | undefined {
  const unreachable = isDatabaseUnreachableError(e);
  if (!unreachable && !isTransientDatabaseError(e)) return undefined;
  const code = 'database_unavailable';
  return {
    type: PROBLEM_TYPE_BASE + code, title: 'Database unavailable', status: 503, code,
    detail: unreachable ? 'The service cannot reach its database right now; retry shortly' : 'The database is busy; retry shortly',
    ...(instance !== undefined ? { instance } : {}),
  };
}

function messageOf(response: string | object): string | undefined {
  if (typeof response === 'string') return response;
  const m = (response as { message?: unknown }).message;
  return typeof m === 'string' ? m : undefined;
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}${e.stack ? `\n${e.stack}` : ''}` : String(e);
}

const RULE_STATUS = { conflict: 409, invalid: 422, not_found: 404, forbidden: 403 } as const;
const RULE_TITLE = { conflict: 'Conflict with the current state', invalid: 'Request breaks a rule', not_found: 'Not found', forbidden: 'Forbidden' } as const;

export function fromRuleViolation(v: RuleViolation): ProblemError {
  return new ProblemError(RULE_STATUS[v.kind], v.code, RULE_TITLE[v.kind], v.message, v.details ?? {});
}
