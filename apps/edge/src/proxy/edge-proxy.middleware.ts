import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { NestMiddleware } from '@nestjs/common';
import { Inject, Injectable } from '@nestjs/common';
import type { ServiceConfig } from '@keyward/config';
import type { ServiceName } from '@keyward/contracts';
import type { IpAllowList } from '@keyward/ip-match';
import type { KeyAuthOptions } from '@keyward/key-auth';
import { authorize, clientIp, extractToken, KEY_AUTH_OPTIONS, KeyProjection, parseTrustedProxies } from '@keyward/key-auth';
import type { Clock } from '@keyward/service-runtime';
import { CLOCK, Metrics, SERVICE_CONFIG } from '@keyward/service-runtime';
import { RouteTable } from '../routing/route-table';
import { AuthFailureThrottle } from '../throttle/auth-failure-throttle';
import type { EdgeOptions } from './edge-options';
import { EDGE_OPTIONS } from './edge-options';
import { ProblemError, sendProblem } from './problem-response';

/** Hop-by-hop headers (RFC 9110 7.6.1) and what the edge sets itself. */
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'x-forwarded-for', 'x-request-id', 'x-forwarded-proto', 'x-forwarded-host']);
const TITLES: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden' };

/**
 * The edge's front door for /v1: request id, route, key check (the same guard logic as every
 * service, from the in-memory projection), failure throttling, then a streamed forward to the
 * owning service over pooled keep-alive connections, with bounded time and body size.
 */
@Injectable()
export class EdgeProxyMiddleware implements NestMiddleware<IncomingMessage, ServerResponse> {
  private readonly routes = new RouteTable();
  private readonly agents = new Map<ServiceName, http.Agent>();
  private readonly trustedProxies: IpAllowList;
  private readonly throttle: AuthFailureThrottle;

  constructor(
    private readonly projection: KeyProjection,
    @Inject(EDGE_OPTIONS) private readonly options: EdgeOptions,
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    @Inject(KEY_AUTH_OPTIONS) keyAuth: KeyAuthOptions,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly metrics: Metrics,
  ) {
    this.trustedProxies = parseTrustedProxies(keyAuth.trustedProxies);
    this.throttle = new AuthFailureThrottle(options.authFailureLimit, options.authFailureWindowMs);
  }

  use(req: IncomingMessage, res: ServerResponse): void {
    const locals = ((res as ServerResponse & { locals?: Record<string, unknown> }).locals ??= {});
    // The id given by the shared request middleware (the caller's X-Request-Id when well-formed).
    const requestId = typeof locals['requestId'] === 'string' ? locals['requestId'] : randomUUID();
    const url = req.url ?? '/';
    const pathname = url.split('?', 1)[0] ?? '/';

    const { route, allowed } = this.routes.match(req.method ?? 'GET', pathname);
    // For the request counter: the route template, not the raw path.
    locals['route'] = route?.template ?? 'unmatched';
    if (!route) {
      if (allowed.length > 0) {
        return sendProblem(res, new ProblemError(405, 'method_not_allowed', 'Method not allowed', `${pathname} accepts ${allowed.join(', ')}`), pathname, { allow: allowed.join(', ') });
      }
      return sendProblem(res, new ProblemError(404, 'route_not_found', 'Not found', `no API operation at ${req.method ?? ''} ${pathname}`), pathname);
    }
    const available = this.projection.available();
    if (!available.ok) {
      this.count('authorization_unavailable');
      return sendProblem(res, new ProblemError(503, 'authorization_unavailable', 'Authorization unavailable', `keys cannot be checked right now: ${available.reason}; retry shortly`), pathname, { 'retry-after': '5' });
    }
    const nowMs = this.clock.now().getTime();
    const ip = clientIp(req.socket.remoteAddress, req.headers['x-forwarded-for'], this.trustedProxies);
    const outcome = authorize(this.projection.index, { token: extractToken(req.headers), clientIp: ip, permission: route.permission, nowMs });
    this.count(outcome.ok ? 'ok' : outcome.code);
    if (!outcome.ok) {
      // Only authentication failures (401: no, bad or dead key) count: a 403 comes from a key that
      // works and is answered as such.
      const wait = outcome.status === 401 ? this.throttle.fail(ip ?? 'unknown', Date.now()) : undefined;
      if (wait !== undefined) {
        this.count('too_many_auth_failures');
        return sendProblem(res, new ProblemError(429, 'too_many_auth_failures', 'Too many requests',
          `too many failed authentications from this address; retry in ${wait} s`), pathname, { 'retry-after': String(wait) });
      }
      return sendProblem(res, new ProblemError(outcome.status, outcome.code, TITLES[outcome.status] ?? 'Unauthorized', outcome.detail), pathname);
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > this.config.bodyLimitBytes) return this.tooLarge(req, res, pathname);
    this.forward(req, res, route.service as Exclude<ServiceName, 'edge'>, url, pathname, ip, requestId);
  }

  private count(code: string): void {
    this.metrics.inc('auth_outcomes_total', 'Authorization outcomes by code (ok or the problem code)', { code });
  }

  private forward(req: IncomingMessage, res: ServerResponse, service: Exclude<ServiceName, 'edge'>, url: string, pathname: string, ip: string | undefined, requestId: string): void {
    const target = this.options.upstreams[service];
    const headers: Record<string, string | string[]> = {};
    copyHeaders(req.headers, headers);
    headers['host'] = target.host;
    headers['x-request-id'] = requestId;
    if (ip) headers['x-forwarded-for'] = ip;
    headers['x-forwarded-proto'] = 'http';
    if (req.headers.host) headers['x-forwarded-host'] = req.headers.host;

    const upstream = http.request({
      agent: this.agent(service), hostname: target.hostname, port: target.port, method: req.method, path: url, headers,
    });
    let answered = false;
    const fail = (problem: ProblemError): void => {
      if (answered) return;
      answered = true;
      upstream.destroy();
      if (res.headersSent) res.destroy();
      else sendProblem(res, problem, pathname);
    };
    const timer = setTimeout(() => fail(new ProblemError(504, 'upstream_timeout', 'Gateway timeout', `${service} did not answer within ${this.options.upstreamTimeoutMs} ms`)), this.options.upstreamTimeoutMs);
    upstream.once('response', (up) => {
      clearTimeout(timer);
      if (answered) {
        up.resume();
        return;
      }
      answered = true;
      const out: Record<string, string | string[]> = {};
      copyHeaders(up.headers, out);
      out['x-request-id'] = requestId;
      res.writeHead(up.statusCode ?? 502, out);
      up.pipe(res);
    });
    upstream.once('error', (e) => {
      clearTimeout(timer);
      fail(new ProblemError(502, 'upstream_unavailable', 'Bad gateway', `${service} could not be reached (${(e as NodeJS.ErrnoException).code ?? e.message})`));
    });
    res.once('close', () => {
      clearTimeout(timer);
      if (!res.writableFinished) upstream.destroy();
    });

    // Stream the body through, counting: a chunked body over the limit stops mid-way with 413.
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > this.config.bodyLimitBytes) {
        req.unpipe(upstream);
        req.resume();
        answered = true;
        clearTimeout(timer);
        upstream.destroy();
        this.tooLarge(req, res, pathname);
      }
    });
    req.pipe(upstream);
  }

  private tooLarge(req: IncomingMessage, res: ServerResponse, pathname: string): void {
    sendProblem(res, new ProblemError(413, 'payload_too_large', 'Payload too large', `request bodies are limited to ${this.config.bodyLimitBytes} bytes`), pathname, { connection: 'close' });
    req.resume();
  }

  /** One keep-alive pool per service: connections are reused across requests. */
  private agent(service: ServiceName): http.Agent {
    let agent = this.agents.get(service);
    if (!agent) {
      agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, scheduling: 'lifo' });
      this.agents.set(service, agent);
    }
    return agent;
  }
}

function copyHeaders(from: IncomingHttpHeaders, to: Record<string, string | string[]>): void {
  for (const [name, value] of Object.entries(from)) {
    if (value !== undefined && !NOT_FORWARDED.has(name)) to[name] = value;
  }
}
