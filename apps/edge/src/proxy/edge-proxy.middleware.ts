import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { NestMiddleware } from '@nestjs/common';
import { Inject, Injectable } from '@nestjs/common';
import type { ServiceConfig, UpstreamService } from '@keyward/config';
import { isCanonicalPath, pathOf, RouteTable } from '@keyward/contracts';
import type { IpAllowList } from '@keyward/ip-match';
import type { AuthRequest, KeyAuthOptions } from '@keyward/key-auth';
import {
  AuthFailureThrottle, authorize, KeyRateLimiter, rateLimitHeaders, clientIp, EDGE_SIGNATURE_HEADER, EDGE_TIMESTAMP_HEADER, EdgeSigner, extractToken,
  KEY_AUTH_OPTIONS, KeyProjection, parseTrustedProxies, TOO_MANY_AUTH_FAILURES_TITLE, tooManyAuthFailuresDetail,
  UsageReporter, usageSubjectOf,
} from '@keyward/key-auth';
import type { Clock } from '@keyward/service-runtime';
import { CLOCK, Metrics, SERVICE_CONFIG } from '@keyward/service-runtime';
import { Cors } from '../browser/cors';
import { EdgeUpstreams } from './edge-upstreams';
import { ProblemError, sendProblem } from './problem-response';
import { errorCode } from './upstream-balancer';
import type { UpstreamInstance } from './upstream-instance';

/**
 * Request headers not passed on: hop-by-hop ones (RFC 9110 7.6.1), the framing (undici frames the
 * forwarded request itself, from the body the edge read), `expect` (answered here), and what the
 * edge asserts itself (a client's own copy must never reach a service).
 */
const NOT_FORWARDED = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade',
  'expect', 'content-length', 'host', 'x-forwarded-for', 'x-request-id', 'x-forwarded-proto', 'x-forwarded-host', EDGE_SIGNATURE_HEADER, EDGE_TIMESTAMP_HEADER,
]);
/** Answer headers not passed back: hop-by-hop ones; Node frames the edge's answer itself. */
const NOT_RETURNED = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
/** Methods whose requests have no body here: one sent anyway is refused, never passed on. */
const NO_BODY = new Set(['GET', 'HEAD', 'DELETE']);
const TITLES: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 429: 'Too many requests' };
/**
 * Requests sent once more, to another instance, when the first one's connection failed. Only
 * GET and HEAD: no route takes an idempotency key, so any other method may have acted already.
 */
const RETRIED = new Set(['GET', 'HEAD']);
/** Errors of the connection itself (never an answer of the service): the instance is ejected. */
const CONNECTION_FAILURES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

/** Why the edge stopped a forward itself (the upstream error that follows is then not the answer). */
class Stopped extends Error {}

/**
 * The edge's front door for /v1: request id, canonical path and route, key check (the same guard
 * logic as every service, from the in-memory projection), failure throttling, then a streamed
 * forward to the owning service. The forwarding is undici's (Node's maintained HTTP client): it
 * owns framing, the keep-alive pool, timeouts and back-pressure, so only the request the edge
 * parsed and authorized, re-framed, ever reaches a service. What the edge asserts (client address,
 * request id, method, target, time) is signed for the service (EdgeSigner).
 */
@Injectable()
export class EdgeProxyMiddleware implements NestMiddleware<IncomingMessage, ServerResponse> {
  private readonly routes = new RouteTable();
  private readonly trustedProxies: IpAllowList;
  private readonly throttle: AuthFailureThrottle;
  private readonly signer: EdgeSigner;
  // Browser keys (docs/browser-keys.md): CORS, and each key's rate limit, this edge's share of it.
  private readonly cors: Cors;
  private readonly limiter: KeyRateLimiter;

  constructor(
    private readonly projection: KeyProjection,
    private readonly upstreams: EdgeUpstreams,
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    @Inject(KEY_AUTH_OPTIONS) keyAuth: KeyAuthOptions,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly metrics: Metrics,
    private readonly usage: UsageReporter,
  ) {
    this.trustedProxies = parseTrustedProxies(keyAuth.trustedProxies);
    this.throttle = new AuthFailureThrottle(keyAuth.authFailureLimit, keyAuth.authFailureWindowMs);
    this.signer = new EdgeSigner(keyAuth.edgeSigningSecret, keyAuth.edgeSignatureWindowMs);
    this.cors = new Cors(this.routes, { privateRoutes: config.corsPrivateRoutes });
    this.limiter = new KeyRateLimiter({ share: 1 / config.rateLimitEdges });
  }

  use(req: IncomingMessage, res: ServerResponse): void {
    const locals = ((res as ServerResponse & { locals?: Record<string, unknown> }).locals ??= {});
    // The id given by the shared request middleware (the caller's X-Request-Id when well-formed).
    const requestId = typeof locals['requestId'] === 'string' ? locals['requestId'] : randomUUID();
    const url = req.url ?? '/';
    const pathname = pathOf(url);
    const method = req.method ?? 'GET';

    if (this.cors.isPreflight(req) && isCanonicalPath(pathname) && this.cors.preflight(req, res, pathname, this.projection.index.origins)) return;
    // The services apply the same rule (libs/service-runtime), so both sides agree on the route.
    const { route, allowed } = isCanonicalPath(pathname) ? this.routes.match(method, pathname) : { route: undefined, allowed: [] };
    // For the request counter: the route template, not the raw path.
    locals['route'] = route?.template ?? 'unmatched';
    if (!route) {
      if (allowed.length > 0) {
        return sendProblem(res, new ProblemError(405, 'method_not_allowed', 'Method not allowed', `${pathname} accepts ${allowed.join(', ')}`), pathname, { allow: allowed.join(', ') });
      }
      return sendProblem(res, new ProblemError(404, 'route_not_found', 'Not found', `no API operation at ${method} ${pathname}`), pathname);
    }
    const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
    if (hasBody && NO_BODY.has(method)) {
      // Never passed on: a body here is how a second request is smuggled past the edge.
      return sendProblem(res, new ProblemError(400, 'body_not_allowed', 'Bad request', `a ${method} request has no body`), pathname, { connection: 'close' });
    }
    const available = this.projection.available();
    if (!available.ok) {
      this.count('authorization_unavailable');
      return sendProblem(res, new ProblemError(503, 'authorization_unavailable', 'Authorization unavailable', `keys cannot be checked right now: ${available.reason}; retry shortly`), pathname, { 'retry-after': '5' });
    }
    const nowMs = this.clock.now().getTime();
    const ip = clientIp(req.socket.remoteAddress, req.headers['x-forwarded-for'], this.trustedProxies);
    const authRequest: AuthRequest = { token: extractToken(req.headers), clientIp: ip, origin: req.headers.origin, permission: route.permission, nowMs, found: undefined };
    this.limiter.last.limit = null;
    const outcome = authorize(this.projection.index, authRequest, this.limiter);
    this.count(outcome.ok ? 'ok' : outcome.code);
    this.cors.answer(res, authRequest);
    // Most keys have no limit: nothing to build or copy for them on the per-request path.
    if (this.limiter.last.limit !== null) {
      for (const [name, value] of Object.entries(rateLimitHeaders(this.limiter.last, !outcome.ok && outcome.status === 429))) res.setHeader(name, value);
    }
    if (!outcome.ok) {
      // Only authentication failures (401: no, bad or dead key) count: a 403 comes from a key that
      // works and is answered as such.
      const wait = outcome.status === 401 ? this.throttle.fail(ip ?? 'unknown', nowMs) : undefined;
      // Usage: the edge counts what it answers itself; what it forwards, the service's guard counts (docs/usage.md).
      const subject = usageSubjectOf(authRequest, outcome);
      if (subject) this.usage.recorder.record(subject.keyId, subject.accountId, route.id, wait !== undefined ? 'too_many_auth_failures' : outcome.code, ip, nowMs, authRequest.found);
      if (wait !== undefined) {
        this.count('too_many_auth_failures');
        return sendProblem(res, new ProblemError(429, 'too_many_auth_failures', TOO_MANY_AUTH_FAILURES_TITLE, tooManyAuthFailuresDetail(wait)), pathname, { 'retry-after': String(wait) });
      }
      return sendProblem(res, new ProblemError(outcome.status, outcome.code, TITLES[outcome.status] ?? 'Unauthorized', outcome.detail), pathname);
    }
    if (Number(req.headers['content-length'] ?? 0) > this.config.bodyLimitBytes) return this.tooLarge(req, res, pathname);
    this.forward(req, res, route.service as UpstreamService, method, url, pathname, ip, requestId, hasBody, nowMs);
  }

  private count(code: string): void {
    this.metrics.inc('auth_outcomes_total', 'Authorization outcomes by code (ok or the problem code)', { code });
  }

  private forward(req: IncomingMessage, res: ServerResponse, service: UpstreamService, method: string, url: string, pathname: string,
    ip: string | undefined, requestId: string, hasBody: boolean, nowMs: number): void {
    const headers: Record<string, string | string[]> = {};
    copyHeaders(req.headers, headers, NOT_FORWARDED);
    headers['x-request-id'] = requestId;
    if (ip) headers['x-forwarded-for'] = ip;
    headers['x-forwarded-proto'] = 'http';
    if (req.headers.host) headers['x-forwarded-host'] = req.headers.host;
    headers[EDGE_TIMESTAMP_HEADER] = String(nowMs);
    headers[EDGE_SIGNATURE_HEADER] = this.signer.sign({ method, target: url, requestId, clientIp: ip }, nowMs);
    const declared = req.headers['content-length'];
    if (hasBody && declared !== undefined) headers['content-length'] = declared;

    // The body is read here, counted and bounded in time, and handed to undici chunk by chunk
    // with back-pressure (the client is paused while the service is slow to take it).
    let body: Readable | undefined;
    let bodyTimer: NodeJS.Timeout | undefined;
    /** Set once the edge answers by itself (413, 408, a closed client): what undici reports after is moot. */
    let stopped = false;
    const stop = (problem: ProblemError | undefined, headers: Record<string, string> = { connection: 'close' }): void => {
      if (stopped) return;
      stopped = true;
      body?.destroy(new Stopped());
      if (!problem) return;
      sendProblem(res, problem, pathname, headers);
      req.resume();
    };
    if (hasBody) {
      let bytes = 0;
      body = new Readable({ read: () => { req.resume(); } });
      // Its only error is the edge's own stop (Stopped), and that may come while the request still
      // waits for a slot, before undici listens: without a listener it would crash the process.
      body.on('error', () => undefined);
      req.on('data', (chunk: Buffer) => {
        if (stopped) return;
        bytes += chunk.length;
        if (bytes > this.config.bodyLimitBytes) return stop(this.payloadTooLarge());
        if (body && !body.push(chunk)) req.pause();
      });
      req.once('end', () => {
        clearTimeout(bodyTimer);
        body?.push(null);
      });
      // A client that takes too long with its body is the client's fault (408), not the service's.
      bodyTimer = setTimeout(() => stop(new ProblemError(408, 'request_timeout', 'Request timeout',
        `the request body was not received within ${this.config.clientBodyTimeoutMs} ms`)), this.config.clientBodyTimeoutMs);
    }
    res.once('close', () => {
      clearTimeout(bodyTimer);
      // The client went away: nothing more to answer; a body still on its way is abandoned,
      // which aborts the forward (undici also aborts it when its writable, res, closes early).
      if (!res.writableFinished) stop(undefined);
    });

    // The instance: the least busy one that is up, and its bound. Past the bound (its in-flight
    // limit and a short queue) the answer is 503 overloaded at once: an overload is shed here,
    // never queued at the edge until the upstream timeout.
    const balancer = this.upstreams.balancer(service);
    const attempt = (failed: UpstreamInstance | undefined): void => {
      const instance = balancer.pick(failed);
      if (!instance) return stop(new ProblemError(502, 'upstream_unavailable', 'Bad gateway', `no instance of ${service} is known`), {});
      forward(instance, failed);
    };
    const forward = (instance: UpstreamInstance, failed: UpstreamInstance | undefined): void => {
      instance.limiter.acquire().then((release) => {
        if (stopped) return release();
        let answered = false;
        const sentAt = this.clock.now().getTime();
        instance.pool.stream({ path: url, method, headers, body: body ?? null, opaque: null }, ({ statusCode, headers: upHeaders }) => {
          answered = true;
          balancer.answerTimed(instance, sentAt, false);
          const out: Record<string, string | string[]> = {};
          copyHeaders(upHeaders, out, NOT_RETURNED);
          out['x-request-id'] = requestId;
          if (!stopped && !res.headersSent) res.writeHead(statusCode, out);
          return res;
        }, (err) => {
          release();
          clearTimeout(bodyTimer);
          if (!err) return instance.answered();
          if (stopped) return;
          const code = errorCode(err);
          if (CONNECTION_FAILURES.has(code)) {
            balancer.connectionFailed(instance, code);
            // Once, to another instance, and only what is safe to send twice (nothing answered yet).
            if (failed === undefined && RETRIED.has(method) && !answered && !res.headersSent && balancer.list().length > 1) {
              this.metrics.inc('edge_upstream_retries_total', 'Requests the edge sent once more, to another instance, after a failed connection', { service });
              return attempt(instance);
            }
          }
          if (res.headersSent) {
            res.destroy();
          } else if (code === 'UND_ERR_HEADERS_TIMEOUT') {
            balancer.answerTimed(instance, sentAt, true);
            sendProblem(res, new ProblemError(504, 'upstream_timeout', 'Gateway timeout', `${service} did not answer within ${this.config.edgeUpstreams.timeoutMs} ms`), pathname);
          } else {
            sendProblem(res, new ProblemError(502, 'upstream_unavailable', 'Bad gateway', `${service} could not be reached (${code})`), pathname);
          }
        });
      }, (e: unknown) => {
        if (stopped) return;
        // Refused before anything was sent, so safe for any method: another instance that is up
        // (once, and only one that is up, never one in its backoff) may have room. Without this, a
        // short slowness of one instance (a restart, a pause) refused requests its twin could take.
        const other = failed === undefined ? balancer.pick(instance) : undefined;
        if (other !== undefined && other.state() === 'up') {
          this.metrics.inc('edge_upstream_spills_total', 'Requests the edge sent to another instance because the chosen one was at its bound', { service });
          return forward(other, instance);
        }
        this.metrics.inc('edge_upstream_overloaded_total', 'Requests the edge refused (503 overloaded) because every instance of the service was at its bound', { service });
        // Refused before anything was sent: always safe to retry. A body still arriving is drained, the connection kept.
        const problem = e instanceof ProblemError ? e : new ProblemError(503, 'overloaded', 'Service overloaded', `${service} is at its bound; retry shortly`);
        stop(problem, { 'retry-after': '1' });
      });
    };
    attempt(undefined);
  }

  private payloadTooLarge(): ProblemError {
    return new ProblemError(413, 'payload_too_large', 'Payload too large', `request bodies are limited to ${this.config.bodyLimitBytes} bytes`);
  }

  private tooLarge(req: IncomingMessage, res: ServerResponse, pathname: string): void {
    sendProblem(res, this.payloadTooLarge(), pathname, { connection: 'close' });
    req.resume();
  }
}

function copyHeaders(from: IncomingHttpHeaders, to: Record<string, string | string[]>, skip: ReadonlySet<string>): void {
  for (const name in from) {
    const value = from[name];
    if (value !== undefined && !skip.has(name)) to[name] = value;
  }
}
