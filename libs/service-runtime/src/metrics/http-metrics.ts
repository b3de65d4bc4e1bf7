import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { Metrics } from './metrics';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Every request gets an id (the caller's X-Request-Id when well-formed, as the edge forwards it,
 * else a new one), answered in X-Request-Id and written in its access-log line; and it is counted
 * by route template, method and status, and timed.
 */
export function countRequests(app: NestExpressApplication, metrics: Metrics): void {
  const logger = new Logger('http');
  app.use((req: Request, res: Response, next: NextFunction) => {
    const started = performance.now();
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.locals['requestId'] = requestId;
    if (!res.getHeader('x-request-id')) res.setHeader('x-request-id', requestId);
    res.once('finish', () => {
      // The route template (/v1/keys/:keyId), never the raw path: ids would explode the series.
      const route = (res.locals['route'] as string | undefined) ?? (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      const ms = performance.now() - started;
      metrics.inc('http_requests_total', 'HTTP requests by route template, method and status', { route, method: req.method, status: String(res.statusCode) });
      metrics.observe('http_request_duration_seconds', 'HTTP request duration by route template and method', { route, method: req.method }, ms / 1000);
      logger.log(`${requestId} ${req.method} ${req.originalUrl.split('?', 1)[0] ?? ''} ${res.statusCode} ${ms.toFixed(1)}ms`);
    });
    next();
  });
}
