import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { Metrics } from './metrics';

/** Counts every request by route template, method and status, and times it. */
export function countRequests(app: NestExpressApplication, metrics: Metrics): void {
  app.use((req: Request, res: Response, next: NextFunction) => {
    const started = performance.now();
    res.once('finish', () => {
      // The route template (/v1/keys/:keyId), never the raw path: ids would explode the series.
      const route = (res.locals['route'] as string | undefined) ?? (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      const labels = { route, method: req.method, status: String(res.statusCode) };
      metrics.inc('http_requests_total', 'HTTP requests by route template, method and status', labels);
      metrics.observe('http_request_duration_seconds', 'HTTP request duration by route template and method', { route, method: req.method }, (performance.now() - started) / 1000);
    });
    next();
  });
}
