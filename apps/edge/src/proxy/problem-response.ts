import type { ServerResponse } from 'node:http';
import { PROBLEM_CONTENT_TYPE, ProblemError } from '@keyward/problem';

/** Writes a problem+json answer straight to a response (the edge's proxy path has no Nest filter). */
export function sendProblem(res: ServerResponse, problem: ProblemError, instance: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(problem.toProblem(instance));
  res.writeHead(problem.status, { ...headers, 'content-type': PROBLEM_CONTENT_TYPE, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

export { ProblemError };
