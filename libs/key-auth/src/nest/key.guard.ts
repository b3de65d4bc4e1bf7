import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import type { Permission } from '@keyward/contracts';
import { routeId } from '@keyward/contracts';
import { ProblemError } from '@keyward/problem';
import type { Clock } from '@keyward/service-runtime';
import { CLOCK, Metrics } from '@keyward/service-runtime';
import { AuthFailureThrottle } from '../authorize/auth-failure-throttle';
import { TOO_MANY_AUTH_FAILURES_TITLE, tooManyAuthFailuresDetail } from '../authorize/auth-failures';
import type { AuthRequest } from '../authorize/auth-outcome';
import { authorize } from '../authorize/authorize';
import { KeyRateLimiter, rateLimitHeaders } from '../authorize/key-rate-limiter';
import { EdgeSigner, signedClientIp } from '../http/edge-signature';
import { extractToken } from '../http/extract-token';
import type { UsageRecorder } from '../usage/usage-recorder';
import { usageSubjectOf } from '../usage/usage-subject';
import type { KeyAuthOptions } from './key-auth.options';
import { KEY_AUTH_OPTIONS } from './key-auth.options';
import { KeyProjection } from './key-projection.service';
import type { AuthorizedRequest } from './require-permission.decorator';
import { REQUIRED_PERMISSION } from './require-permission.decorator';
import { UsageReporter } from './usage-reporter.service';

const TITLES: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 429: 'Too many requests' };

/**
 * Authorizes every route that names a permission, against the in-memory key projection only:
 * no I/O on the request path. Routes without @RequirePermission (health, readiness) are open.
 * The client address is the one the edge signed, else the socket's (see edge-signature.ts);
 * authentication failures (401) are throttled per address exactly as at the edge. The key's
 * allowed origins are checked against the request's Origin as at the edge (a browser's claim, passed
 * on unchanged). Each key's rate limit is kept here too, as a backstop with twice the burst: the edge
 * enforces it; this refuses only a caller that skipped the edge (docs/browser-keys.md).
 */
@Injectable()
export class KeyGuard implements CanActivate {
  private readonly signer: EdgeSigner;
  private readonly throttle: AuthFailureThrottle;
  private readonly limiter = new KeyRateLimiter({ burstFactor: 2 });
  /** Route metadata is read once per handler, not per request. */
  private readonly permissionByHandler = new WeakMap<object, Permission | null>();
  /** The usage operation (route id) of each handler, made on its first request. */
  private readonly operationByHandler = new WeakMap<object, string>();
  private readonly usage: UsageRecorder;

  constructor(
    private readonly reflector: Reflector,
    private readonly projection: KeyProjection,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(KEY_AUTH_OPTIONS) options: KeyAuthOptions,
    private readonly metrics: Metrics,
    usage: UsageReporter,
  ) {
    this.usage = usage.recorder;
    this.signer = new EdgeSigner(options.edgeSigningSecret, options.edgeSignatureWindowMs);
    this.throttle = new AuthFailureThrottle(options.authFailureLimit, options.authFailureWindowMs);
  }

  canActivate(context: ExecutionContext): boolean {
    const permission = this.permissionOf(context);
    if (permission === null) return true;
    const req = context.switchToHttp().getRequest<Request & AuthorizedRequest>();
    const nowMs = this.clock.now().getTime();
    const available = this.projection.available();
    if (!available.ok) {
      this.count('authorization_unavailable');
      throw new ProblemError(503, 'authorization_unavailable', 'Authorization unavailable',
        `keys cannot be checked right now: ${available.reason}; retry shortly`);
    }
    // originalUrl: the target as the edge sent and signed it, whatever routing did to req.url.
    const ip = signedClientIp(this.signer, req, req.originalUrl, nowMs);
    const origin = req.headers.origin;
    const authRequest: AuthRequest = { token: extractToken(req.headers), clientIp: ip, origin, permission, nowMs, found: undefined };
    const outcome = authorize(this.projection.index, authRequest, this.limiter);
    this.count(outcome.ok ? 'ok' : outcome.code);
    // Usage: every outcome of a known key that reaches this guard (docs/usage.md: the edge counts
    // only what it refuses itself, so a forwarded request is counted here, once).
    const subject = usageSubjectOf(authRequest, outcome);
    if (!outcome.ok) {
      if (outcome.status === 429) {
        const res = context.switchToHttp().getResponse<Response>();
        for (const [name, value] of Object.entries(rateLimitHeaders(this.limiter.last, true))) res.setHeader(name, value);
      }
      const wait = outcome.status === 401 ? this.throttle.fail(ip ?? 'unknown', nowMs) : undefined;
      if (subject !== undefined) this.usage.record(subject.keyId, subject.accountId, this.operationOf(context, req), wait !== undefined ? 'too_many_auth_failures' : outcome.code, ip, nowMs, authRequest.found);
      if (wait !== undefined) {
        this.count('too_many_auth_failures');
        context.switchToHttp().getResponse<Response>().setHeader('retry-after', String(wait));
        throw new ProblemError(429, 'too_many_auth_failures', TOO_MANY_AUTH_FAILURES_TITLE, tooManyAuthFailuresDetail(wait));
      }
      throw new ProblemError(outcome.status, outcome.code, TITLES[outcome.status] ?? 'Unauthorized', outcome.detail);
    }
    if (subject !== undefined) this.usage.record(subject.keyId, subject.accountId, this.operationOf(context, req), 'ok', ip, nowMs, authRequest.found);
    req.caller = outcome.key;
    return true;
  }

  /** The route id (`GET /v1/keys/:keyId`) of the handler, as the RouteTable names it; once per handler. */
  private operationOf(context: ExecutionContext, req: Request): string {
    const handler = context.getHandler();
    let operation = this.operationByHandler.get(handler);
    if (operation === undefined) {
      const template: unknown = (req.route as { path?: unknown } | undefined)?.path;
      operation = routeId(req.method, typeof template === 'string' ? template : req.path);
      this.operationByHandler.set(handler, operation);
    }
    return operation;
  }

  private count(code: string): void {
    this.metrics.inc('auth_outcomes_total', 'Authorization outcomes by code (ok or the problem code)', { code });
  }

  private permissionOf(context: ExecutionContext): Permission | null {
    const handler = context.getHandler();
    let permission = this.permissionByHandler.get(handler);
    if (permission === undefined) {
      permission = this.reflector.getAllAndOverride<Permission | undefined>(REQUIRED_PERMISSION, [handler, context.getClass()]) ?? null;
      this.permissionByHandler.set(handler, permission);
    }
    return permission;
  }
}
