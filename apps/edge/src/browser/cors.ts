import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouteTable } from '@keyward/contracts';
import { isPublicSafe } from '@keyward/contracts';
import type { AuthRequest, OriginDirectory } from '@keyward/key-auth';
import { ProblemError, sendProblem } from '../proxy/problem-response';

/** What a page's script may send: the key (either header), a JSON body and its own request id. */
const ALLOWED_HEADERS = 'authorization, x-api-key, content-type, x-request-id';
/** What a page's script may read of an answer besides the CORS-safelisted ones. */
const EXPOSED_HEADERS = 'retry-after, ratelimit, ratelimit-policy, x-request-id';
/** How long a browser may reuse a preflight's answer: ten minutes (Chromium caps it at two hours). */
const MAX_AGE_SECONDS = '600';
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

export interface CorsOptions {
  /** Preflights for private routes too (CORS_PRIVATE_ROUTES); otherwise only for what a public key may call. */
  readonly privateRoutes: boolean;
}

/**
 * CORS for browser use of keys (docs/browser-keys.md). A preflight carries no key, so it is
 * answered from the origins some key allows (OriginDirectory): the origin is reflected, never `*`,
 * and never with Access-Control-Allow-Credentials (keys travel in a header, not in cookies). The
 * request that follows is authorized as any other, its Origin checked against its own key's
 * allowed origins (403 `origin_not_allowed`, no CORS headers, so the page cannot read the answer);
 * only a key that lists the origin gets it reflected. A key without allowed origins is answered as
 * before, without CORS headers: a browser keeps the page from using it.
 */
export class Cors {
  constructor(private readonly routes: RouteTable, private readonly options: CorsOptions) {}

  /** Whether the edge answers this request as a CORS preflight (then `preflight` must be called). */
  isPreflight(req: IncomingMessage): boolean {
    return req.method === 'OPTIONS' && typeof req.headers.origin === 'string' && typeof req.headers['access-control-request-method'] === 'string';
  }

  /**
   * Answers a preflight for a path whose asked-for method a browser may call; false for any other,
   * which the caller answers as before (404, or 405 with Allow).
   */
  preflight(req: IncomingMessage, res: ServerResponse, pathname: string, origins: OriginDirectory): boolean {
    const methods = METHODS.filter((m) => this.corsAllowed(m, pathname));
    const asked = String(req.headers['access-control-request-method']).toUpperCase();
    if (!methods.includes(asked as (typeof METHODS)[number])) return false;
    const origin = String(req.headers.origin);
    const vary = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';
    if (!origins.allows(origin)) {
      sendProblem(res, new ProblemError(403, 'origin_not_allowed', 'Forbidden', `no API key may be used from the web origin ${JSON.stringify(origin).slice(0, 300)}`), pathname, { vary });
      return true;
    }
    res.writeHead(204, {
      'access-control-allow-origin': origin,
      'access-control-allow-methods': methods.join(', '),
      'access-control-allow-headers': ALLOWED_HEADERS,
      'access-control-max-age': MAX_AGE_SECONDS,
      vary,
    });
    res.end();
    return true;
  }

  /**
   * After `authorize`: reflects the request's Origin when its key restricts origins and lists this
   * one (the check passed), so the page may read the answer (a refusal from a later step, 429 or
   * 403, included). Every answer varies by Origin.
   */
  answer(res: ServerResponse, req: AuthRequest): void {
    res.setHeader('vary', 'Origin');
    const origin = req.origin;
    const list = req.found?.profile.originList;
    if (origin === undefined || list === undefined || list.any || !list.allows(origin)) return;
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('access-control-expose-headers', EXPOSED_HEADERS);
  }

  private corsAllowed(method: string, pathname: string): boolean {
    const route = this.routes.match(method, pathname).route;
    return route !== undefined && (this.options.privateRoutes || isPublicSafe(route.permission));
  }
}
