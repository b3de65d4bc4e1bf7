import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { Permission } from '@keyward/contracts';
import type { IpAllowList } from '@keyward/ip-match';
import { ProblemError } from '@keyward/problem';
import type { Clock } from '@keyward/service-runtime';
import { CLOCK, Metrics } from '@keyward/service-runtime';
import { authorize } from '../authorize/authorize';
import { clientIp, parseTrustedProxies } from '../http/client-ip';
import { extractToken } from '../http/extract-token';
import type { KeyAuthOptions } from './key-auth.options';
import { KEY_AUTH_OPTIONS } from './key-auth.options';
import { KeyProjection } from './key-projection.service';
import type { AuthorizedRequest } from './require-permission.decorator';
import { REQUIRED_PERMISSION } from './require-permission.decorator';

const TITLES: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden' };

/**
 * Authorizes every route that names a permission, against the in-memory key projection only:
 * no I/O on the request path. Routes without @RequirePermission (health, readiness) are open.
 */
@Injectable()
export class KeyGuard implements CanActivate {
  private readonly trustedProxies: IpAllowList;
  /** Route metadata is read once per handler, not per request. */
  private readonly permissionByHandler = new WeakMap<object, Permission | null>();

  constructor(
    private readonly reflector: Reflector,
    private readonly projection: KeyProjection,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(KEY_AUTH_OPTIONS) options: KeyAuthOptions,
    private readonly metrics: Metrics,
  ) {
    this.trustedProxies = parseTrustedProxies(options.trustedProxies);
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
    const outcome = authorize(this.projection.index, {
      token: extractToken(req.headers),
      clientIp: clientIp(req.socket.remoteAddress, req.headers['x-forwarded-for'], this.trustedProxies),
      permission,
      nowMs,
    });
    this.count(outcome.ok ? 'ok' : outcome.code);
    if (!outcome.ok) throw new ProblemError(outcome.status, outcome.code, TITLES[outcome.status] ?? 'Unauthorized', outcome.detail);
    req.caller = outcome.key;
    return true;
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
