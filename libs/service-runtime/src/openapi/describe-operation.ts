import type { OperationObject, ParameterObject, ReferenceObject, ResponseObject, SecurityRequirementObject } from '@nestjs/swagger';
import type { Permission, RouteSpec, ServiceName } from '@keyward/contracts';
import { isPermission, isPublicSafe, PUBLIC_ROUTES } from '@keyward/contracts';
import type { ProblemResponseName } from './openapi-components';
import { apiTag, PROBLEM_STATUS, problemNameOf, problemResponse, responseRef } from './openapi-components';
import { PROBLEM_CODES_EXTENSION } from './document-problems';
import type { LocatedOperation, OpenApiMethod } from './openapi-paths';
import { pathParameterNames, routeShape, toOpenApiPath } from './openapi-paths';

/** An operation as Keyward documents it: with the catalog permission it needs. */
export type KeywardOperation = OperationObject & { 'x-permission'?: Permission; [PROBLEM_CODES_EXTENSION]?: unknown };

/** The keys an operation accepts: a public or a private one for a public-safe permission, else only a private one. */
export function securityFor(permission: Permission): SecurityRequirementObject[] {
  return isPublicSafe(permission) ? [{ publicKey: [] }, { privateKey: [] }] : [{ privateKey: [] }];
}

/** The route-table entry for an operation, matched by method and path shape (parameter names aside). */
export function findRoute(method: string, path: string, routes: readonly RouteSpec[] = PUBLIC_ROUTES): RouteSpec | undefined {
  const shape = routeShape(path);
  const upper = method.toUpperCase();
  return routes.find((r) => r.method === upper && routeShape(r.path) === shape);
}

const SUCCESS_DESCRIPTIONS: Readonly<Record<string, string>> = { 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No content' };

/**
 * Which shared problem answers an operation can give, from what it takes and does. Every request
 * can be malformed (400), be refused by the auth-failure throttle (429), carry headers too large
 * (431) or meet an unavailable dependency (503); a body brings 408, 413 and 415; a path parameter
 * 404; a write 409 and 422.
 */
export function problemResponsesFor(method: OpenApiMethod, path: string, operation: OperationObject): ProblemResponseName[] {
  const hasPathParams = pathParameterNames(path).length > 0;
  const takesBody = operation.requestBody !== undefined;
  const writes = method !== 'get' && method !== 'head';
  const names: ProblemResponseName[] = ['BadRequest', 'Unauthorized', 'Forbidden'];
  if (hasPathParams) names.push('NotFound');
  if (takesBody) names.push('RequestTimeout');
  if (writes) names.push('Conflict');
  if (takesBody) names.push('PayloadTooLarge', 'UnsupportedMediaType');
  if (writes) names.push('UnprocessableEntity');
  names.push('TooManyAuthFailures', 'HeadersTooLarge', 'ServiceUnavailable');
  return names;
}

/** The answers that exist only because of the key guard: left out of an operation without a permission. */
const GUARD_ONLY: ReadonlySet<ProblemResponseName> = new Set(['Unauthorized', 'Forbidden', 'TooManyAuthFailures']);

/** The problem codes an operation documents beyond the shared ones (DocumentProblems), by status. */
function ownProblemCodes(operation: KeywardOperation): Record<string, readonly string[]> {
  const own = operation[PROBLEM_CODES_EXTENSION];
  if (own === null || typeof own !== 'object') return {};
  return Object.fromEntries(Object.entries(own).filter((e): e is [string, string[]] => Array.isArray(e[1]) && e[1].every((c) => typeof c === 'string')));
}

export interface DescribeContext {
  readonly service: ServiceName;
  readonly method: OpenApiMethod;
  readonly path: string;
  readonly routes?: readonly RouteSpec[];
}

/**
 * Completes an operation the way every Keyward operation reads: the summary of its route-table
 * entry, its API's tag, the keys it accepts (from its `x-permission`, which @RequirePermission
 * puts there), the permission in words, and the shared problem+json answers next to its success.
 */
export function describeOperation(operation: KeywardOperation, { service, method, path, routes = PUBLIC_ROUTES }: DescribeContext): KeywardOperation {
  const route = findRoute(method, path, routes);
  const permission = isPermission(operation['x-permission']) ? operation['x-permission'] : undefined;
  const tag = apiTag(service);

  const responses: Record<string, ResponseObject | ReferenceObject> = {};
  for (const [status, response] of Object.entries(operation.responses ?? {})) {
    if (!response) continue;
    const description = 'description' in response && response.description === '' ? SUCCESS_DESCRIPTIONS[status] ?? 'Success' : undefined;
    responses[status] = description !== undefined ? { ...response, description } : response;
  }
  const own = ownProblemCodes(operation);
  for (const name of problemResponsesFor(method, path, operation)) {
    if (!permission && GUARD_ONLY.has(name)) continue;
    const status = PROBLEM_STATUS[name];
    responses[status] ??= own[status] ? problemResponse(name, own[status]) : responseRef(name);
  }
  // A status only this operation answers (a 409 on a create, a 403 of its own).
  for (const [status, codes] of Object.entries(own)) {
    const name = problemNameOf(status);
    if (name && !responses[status]) responses[status] = problemResponse(name, codes);
  }

  const needs = permission
    ? `Needs the \`${permission}\` permission, on ${isPublicSafe(permission) ? 'a public or a private key' : 'a private key'}.`
    : undefined;
  const description = [operation.description, needs].filter((s) => s !== undefined && s !== '').join('\n\n');
  const summary = route?.summary ?? operation.summary;

  // Summary and description first: the order a reader of the JSON, and Swagger UI, meet them.
  const { summary: _summary, description: _description, tags: _tags, security, responses: _responses, [PROBLEM_CODES_EXTENSION]: _own, ...rest } = operation;
  return {
    ...(summary !== undefined ? { summary } : {}),
    ...(description !== '' ? { description } : {}),
    ...(tag ? { tags: [tag.name] } : {}),
    ...rest,
    ...(permission ? { security: securityFor(permission) } : security !== undefined ? { security } : {}),
    responses,
  };
}

/**
 * An operation documented from its route-table entry alone: path, permission, keys, summary and
 * error answers, but no parameters beyond the path's and no schemas. The edge uses it for a
 * service whose own document it could never fetch, so the reference stays complete.
 */
export function operationFromRoute(route: RouteSpec, note: string): LocatedOperation {
  const path = toOpenApiPath(route.path);
  const method = route.method.toLowerCase() as OpenApiMethod;
  const parameters: ParameterObject[] = pathParameterNames(path).map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
  const operation = describeOperation({
    operationId: `${route.service}_${route.method.toLowerCase()}_${path.split('/').filter((s) => s !== '' && s !== 'v1').map((s) => s.replace(/[{}]/g, '')).join('_')}`,
    description: note,
    parameters,
    responses: { '2XX': { description: 'Success' } },
    'x-permission': route.permission,
  }, { service: route.service, method, path });
  return { path, method, operation };
}
