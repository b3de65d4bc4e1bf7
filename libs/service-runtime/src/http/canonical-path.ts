import type { NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import type { Express, NextFunction, Request, Response } from 'express';
import { isCanonicalPath, pathOf } from '@keyward/contracts';
import { PROBLEM_CONTENT_TYPE, ProblemError } from '@keyward/problem';

/**
 * Every app decides which route a path names by the rule the edge applies (`isCanonicalPath` in
 * libs/contracts): a path that is not canonical is 404, and routing is case-sensitive and strict
 * (no trailing slash), as the edge's route table is. So a direct caller cannot reach, through a
 * path variant, a route other than the one the edge would have authorized for the same bytes.
 * `strictExpress` makes the Express instance Nest is given (the settings count only before
 * Express builds its router, which Nest's adapter does at once); `refuseNonCanonicalPaths` runs
 * after the access log, so refusals are logged too.
 */
export function strictExpress(): Express {
  const instance = express();
  instance.set('case sensitive routing', true);
  instance.set('strict routing', true);
  return instance;
}

export function refuseNonCanonicalPaths(app: NestExpressApplication): void {
  app.use((req: Request, res: Response, next: NextFunction) => {
    const path = pathOf(req.url);
    if (isCanonicalPath(path)) return next();
    const body = JSON.stringify(new ProblemError(404, 'route_not_found', 'Not found', 'the path is not in canonical form').toProblem(path));
    res.status(404).setHeader('content-type', PROBLEM_CONTENT_TYPE);
    res.end(body);
  });
}
