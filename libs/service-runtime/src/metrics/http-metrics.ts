import { randomUUID } from 'node:crypto';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { Logger as Pino } from 'pino';
import { CORRELATION_ID_HEADER, requestScopeLogger, runInRequestScope } from '../logging/request-context';
import type { MetricLabels, Metrics } from './metrics';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

const REQUESTS = ['http_requests_total', 'HTTP requests by route template, method and status'] as const;
const DURATION = ['http_request_duration_seconds', 'HTTP request duration by route template and method'] as const;

/**
 * The label objects of the request series, made once per (route, method, status) and kept: the
 * hot path looks them up in nested maps (no string built, no object made) and prom-client adds
 * to a number.
 */
class RequestLabels {
  private readonly byRoute = new Map<string, Map<string, { duration: MetricLabels; byStatus: Map<number, MetricLabels> }>>();

  of(route: string, method: string, status: number): { readonly duration: MetricLabels; readonly count: MetricLabels } {
    let byMethod = this.byRoute.get(route);
    if (!byMethod) this.byRoute.set(route, (byMethod = new Map()));
    let entry = byMethod.get(method);
    if (!entry) byMethod.set(method, (entry = { duration: { method, route }, byStatus: new Map() }));
    let count = entry.byStatus.get(status);
    if (!count) entry.byStatus.set(status, (count = { method, route, status: String(status) }));
    return { duration: entry.duration, count };
  }
}

/**
 * Every request gets an id (the caller's X-Request-Id when well-formed, as the edge forwards it,
 * else a new one) and a correlation id (the caller's X-Correlation-Id when well-formed, else the
 * request id), answered in X-Request-Id; the rest of the request runs in a logger carrying both
 * (every line it logs has them); it is counted by route template, method and status, and timed,
 * and its access-log line written when it is answered.
 */
export function countRequests(app: NestExpressApplication, metrics: Metrics, root: Pino): void {
  const labels = new RequestLabels();
  app.use((req: Request, res: Response, next: NextFunction) => {
    const started = performance.now();
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const givenCorrelation = req.headers[CORRELATION_ID_HEADER];
    const correlationId = typeof givenCorrelation === 'string' && REQUEST_ID.test(givenCorrelation) ? givenCorrelation : requestId;
    res.locals['requestId'] = requestId;
    if (!res.getHeader('x-request-id')) res.setHeader('x-request-id', requestId);
    const log = requestScopeLogger(root, requestId, correlationId);
    res.once('finish', () => {
      // The route template (/v1/keys/:keyId), never the raw path: ids would explode the series.
      const route = (res.locals['route'] as string | undefined) ?? (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      const ms = performance.now() - started;
      const series = labels.of(route, req.method, res.statusCode);
      metrics.inc(REQUESTS[0], REQUESTS[1], series.count);
      metrics.observe(DURATION[0], DURATION[1], series.duration, ms / 1000);
      const path = req.originalUrl.split('?', 1)[0] ?? '';
      log.info({ context: 'http', method: req.method, path, route, status: res.statusCode, ms: Math.round(ms * 10) / 10 },
        `${req.method} ${path} ${res.statusCode} ${ms.toFixed(1)}ms`);
    });
    runInRequestScope(log, next);
  });
}
