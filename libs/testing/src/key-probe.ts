import type { Permission, RouteSpec, ServiceName } from '@keyward/contracts';
import { PUBLIC_ROUTES, SERVICE_NAMES } from '@keyward/contracts';

/**
 * "A route the key guard protects", per service, for specs about keys rather than about any one
 * API: the service's first GET route without a path parameter in the public route table (a list,
 * so an authorized key gets 200), asked for one item. The edge has no such route of its own: it
 * authorizes, then forwards, the keys service's one, so a 200 there needs keys running too.
 */
export interface KeyProbe {
  readonly method: 'GET';
  /** The path with its query (`/v1/technicians?limit=1`). */
  readonly path: string;
  readonly permission: Permission;
}

/** Whom the edge forwards its probe to. */
export const EDGE_PROBE_SERVICE = 'keys' satisfies ServiceName;

function probeOf(service: Exclude<ServiceName, 'edge'>): KeyProbe {
  const route: RouteSpec | undefined = PUBLIC_ROUTES.find((r) => r.service === service && r.method === 'GET' && !r.path.includes(':'));
  if (!route) throw new Error(`the public route table has no parameterless GET route of ${service}`);
  return { method: 'GET', path: `${route.path}?limit=1`, permission: route.permission };
}

export function keyProbe(service: ServiceName): KeyProbe {
  return probeOf(service === 'edge' ? EDGE_PROBE_SERVICE : service);
}

/** Every probe's permission: a key holding these passes the probe of every service. */
export const PROBE_PERMISSIONS: readonly Permission[] = [...new Set(SERVICE_NAMES.map((s) => keyProbe(s).permission))].sort();
