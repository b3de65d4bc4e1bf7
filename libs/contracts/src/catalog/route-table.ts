import type { ServiceName } from '../services/services';
import type { Permission } from './operation-catalog';
import type { HttpMethod, RouteSpec } from './routes';
import { PUBLIC_ROUTES } from './routes';

export interface MatchedRoute {
  /** `GET /v1/keys/:keyId`: the operation's id, as usage counts it (routeId). */
  readonly id: string;
  readonly service: ServiceName;
  readonly permission: Permission;
  readonly template: string;
}

interface CompiledRoute extends MatchedRoute {
  /** Literal segments, with null where the template has a parameter. */
  readonly segments: readonly (string | null)[];
}

/**
 * The public routes compiled once: per method, by segment count, literal routes before
 * parameterised ones (so /v1/sessions/history is not taken for /v1/sessions/:sessionId).
 * Literals match case-sensitively; HEAD matches every GET route, with its permission (a HEAD is
 * a GET without the body). Paths are expected canonical (`isCanonicalPath`): the edge and the
 * services refuse the others before asking.
 */
export class RouteTable {
  private readonly byMethod = new Map<string, Map<number, CompiledRoute[]>>();

  constructor(routes: readonly RouteSpec[] = PUBLIC_ROUTES) {
    for (const r of routes) {
      const segments = r.path.split('/').filter(Boolean).map((s) => (s.startsWith(':') ? null : s));
      const byLength = this.byMethod.get(r.method) ?? new Map<number, CompiledRoute[]>();
      const list = byLength.get(segments.length) ?? [];
      list.push({ id: routeId(r.method, r.path), service: r.service, permission: r.permission, template: r.path, segments });
      list.sort((a, b) => paramCount(a) - paramCount(b));
      byLength.set(segments.length, list);
      this.byMethod.set(r.method, byLength);
    }
  }

  /** The route of a request, or undefined (`allowed` lists the methods the path has). */
  match(method: string, pathname: string): { route?: MatchedRoute; allowed: HttpMethod[] } {
    const parts = pathname.split('/').filter(Boolean);
    const route = this.find(method === 'HEAD' ? 'GET' : method, parts);
    if (route) return { route, allowed: [] };
    const allowed: HttpMethod[] = [];
    for (const m of this.byMethod.keys()) if (m !== method && this.find(m, parts)) allowed.push(m as HttpMethod);
    return { allowed };
  }

  /** Whether any operation has this path (whatever its method). */
  knows(pathname: string): boolean {
    const parts = pathname.split('/').filter(Boolean);
    for (const m of this.byMethod.keys()) if (this.find(m, parts)) return true;
    return false;
  }

  private find(method: string, parts: readonly string[]): CompiledRoute | undefined {
    const candidates = this.byMethod.get(method)?.get(parts.length);
    if (!candidates) return undefined;
    outer: for (const c of candidates) {
      for (let i = 0; i < parts.length; i++) {
        const s = c.segments[i];
        if (s !== null && s !== parts[i]) continue outer;
      }
      return c;
    }
    return undefined;
  }
}

/** The id of an operation: its method and template (`GET /v1/keys/:keyId`); HEAD is its GET. */
export function routeId(method: string, template: string): string {
  return `${method === 'HEAD' ? 'GET' : method} ${template}`;
}

function paramCount(r: CompiledRoute): number {
  return r.segments.filter((s) => s === null).length;
}
