import type { OperationObject, PathItemObject, PathsObject } from '@nestjs/swagger';

/** The HTTP methods an OpenAPI path item can hold operations for, as its keys spell them. */
export const OPENAPI_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const;
export type OpenApiMethod = (typeof OPENAPI_METHODS)[number];

export interface LocatedOperation {
  readonly path: string;
  readonly method: OpenApiMethod;
  readonly operation: OperationObject;
}

/** `/v1/keys/:keyId` (Express, the route table) → `/v1/keys/{keyId}` (OpenAPI). */
export function toOpenApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** `/v1/keys/{keyId}` (OpenAPI) → `/v1/keys/:keyId` (Express, the route table). */
export function toExpressPath(openApiPath: string): string {
  return openApiPath.replace(/\{([^}/]+)\}/g, ':$1');
}

/**
 * A path with its parameter names erased (`/v1/keys/{}`), in either notation. A router cannot
 * tell `/v1/devices/:id` from `/v1/devices/:deviceId`, so routes are the same route when their
 * shapes are equal, whatever each side calls the parameter.
 */
export function routeShape(path: string): string {
  return toOpenApiPath(path).replace(/\{[^}/]+\}/g, '{}');
}

/** The names of a path's parameters, in order. */
export function pathParameterNames(path: string): string[] {
  return [...toOpenApiPath(path).matchAll(/\{([^}/]+)\}/g)].map((m) => m[1] ?? '');
}

/** Only the public API is documented: /health, /ready, /metrics, /admin and the like are not. */
export function isPublicApiPath(path: string): boolean {
  return path === '/v1' || path.startsWith('/v1/');
}

/** Every operation of a paths object with where it is. */
export function operationsOf(paths: PathsObject): LocatedOperation[] {
  const out: LocatedOperation[] = [];
  for (const [path, item] of Object.entries(paths)) {
    for (const method of OPENAPI_METHODS) {
      const operation = (item as PathItemObject)[method];
      if (operation) out.push({ path, method, operation });
    }
  }
  return out;
}
