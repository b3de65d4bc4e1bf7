import type { OpenAPIObject, PathsObject, ReferenceObject, SchemaObject } from '@nestjs/swagger';
import type { RouteSpec, ServiceName } from '@keyward/contracts';
import { PUBLIC_ROUTES, PUBLIC_SAFE_PERMISSIONS } from '@keyward/contracts';
import type { LocatedOperation } from '@keyward/service-runtime';
import { API_TAGS, isPublicApiPath, operationFromRoute, operationsOf, renameSchemaRefs, responseRef, sharedComponents } from '@keyward/service-runtime';

export type UpstreamService = Exclude<ServiceName, 'edge'>;

/** The services behind the edge, in the order their APIs are listed. */
export const UPSTREAM_SERVICES: readonly UpstreamService[] = ['keys', 'sessions', 'tickets', 'technicians', 'devices'];

/** What the edge has of one service's document: fresh, a last good copy, or nothing. */
export type ServiceSource =
  | { readonly service: UpstreamService; readonly state: 'live'; readonly document: OpenAPIObject; readonly fetchedAt: Date }
  | { readonly service: UpstreamService; readonly state: 'stale'; readonly document: OpenAPIObject; readonly fetchedAt: Date; readonly error: string }
  | { readonly service: UpstreamService; readonly state: 'unavailable'; readonly error: string };

export interface SourceStatus {
  readonly state: ServiceSource['state'];
  readonly fetchedAt?: string;
  readonly error?: string;
}

/** The edge's document: the services' documents merged, and where each part came from. */
export type MergedOpenApi = OpenAPIObject & {
  readonly 'x-keyward-sources': Readonly<Record<UpstreamService, SourceStatus>>;
  readonly 'x-keyward-conflicts'?: readonly string[];
};

const INTRO = [
  'Every operation of the Keyward public API, as the services behind this edge document them (generated from their controllers and validation DTOs).',
  'Authenticate with an API key, as `Authorization: Bearer <key>` or in the `X-API-Key` header:',
  `a **public** key (\`kw_pk_…\`) may call only the operations that list the \`publicKey\` scheme (permissions ${PUBLIC_SAFE_PERMISSIONS.map((p) => `\`${p}\``).join(', ')});`,
  'a **private** key (`kw_sk_…`) may call every operation whose permission (`x-permission`) it holds.',
  'Errors are RFC 9457 `application/problem+json` with a stable `code`.',
].join(' ');

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const capitalized = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * One document from the services' documents. Schemas are shared by name when equal; a service's
 * schema whose name another service already uses differently is renamed `<Service><Name>` (with
 * its references). A service the edge could never fetch is documented from the route table (its
 * paths, permissions, keys and summaries, without schemas) and said so, so the reference never
 * silently loses an API. Only /v1 paths are taken; a second service documenting an operation
 * another already did is left out and reported in `x-keyward-conflicts`.
 */
export function mergeOpenApi(sources: readonly ServiceSource[], routes: readonly RouteSpec[] = PUBLIC_ROUTES): MergedOpenApi {
  const shared = sharedComponents();
  const schemas: Record<string, SchemaObject | ReferenceObject> = { ...shared.schemas };
  const paths: PathsObject = {};
  const operationIds = new Set<string>();
  const conflicts: string[] = [];
  const status = {} as Record<UpstreamService, SourceStatus>;

  const addOperation = (service: UpstreamService, { path, method, operation }: LocatedOperation): void => {
    const item = (paths[path] ??= {});
    if (item[method]) {
      conflicts.push(`${method.toUpperCase()} ${path} is documented by more than one service; ${service}'s copy is left out`);
      return;
    }
    let operationId = operation.operationId;
    if (operationId !== undefined && operationIds.has(operationId)) operationId = `${service}_${operationId}`;
    if (operationId !== undefined) operationIds.add(operationId);
    // Through the edge, an operation can also meet a service that is down or slow.
    const responses = { ...operation.responses, '502': operation.responses['502'] ?? responseRef('BadGateway'), '504': operation.responses['504'] ?? responseRef('GatewayTimeout') };
    item[method] = { ...operation, ...(operationId !== undefined ? { operationId } : {}), responses };
  };

  for (const source of sources) {
    status[source.service] = {
      state: source.state,
      ...(source.state !== 'unavailable' ? { fetchedAt: source.fetchedAt.toISOString() } : {}),
      ...(source.state !== 'live' ? { error: source.error } : {}),
    };
    if (source.state === 'unavailable') {
      const note = `The ${source.service} service's own description was unavailable to the edge (${source.error}), so this operation is shown from the route table only: its parameters and schemas are missing.`;
      for (const route of routes.filter((r) => r.service === source.service)) addOperation(source.service, operationFromRoute(route, note));
      continue;
    }

    const own = source.document.components?.schemas ?? {};
    const renames = new Map<string, string>();
    for (const [name, schema] of Object.entries(own)) {
      const existing = schemas[name];
      if (existing === undefined || canonical(existing) === canonical(schema)) continue;
      let renamed = `${capitalized(source.service)}${name}`;
      for (let n = 2; renamed in schemas || renamed in own; n++) renamed = `${capitalized(source.service)}${name}${n}`;
      renames.set(name, renamed);
    }
    const document = renameSchemaRefs(source.document, renames);
    for (const [name, schema] of Object.entries(document.components?.schemas ?? {})) schemas[renames.get(name) ?? name] ??= schema;
    for (const located of operationsOf(document.paths)) {
      if (isPublicApiPath(located.path)) addOperation(source.service, located);
    }
  }

  const degraded = sources.filter((s) => s.state !== 'live');
  const notes = degraded.map((s) => s.state === 'stale'
    ? `- **${s.service}**: did not answer (${s.error}); its operations are from its last description, of ${s.fetchedAt.toISOString()}.`
    : `- **${s.service}**: its description was unavailable (${s.error}); its operations are shown from the route table, without parameters or schemas.`);

  return {
    openapi: '3.0.0',
    info: {
      title: 'Keyward API',
      version: '1',
      description: notes.length > 0 ? `${INTRO}\n\n**Incomplete right now:**\n\n${notes.join('\n')}` : INTRO,
    },
    servers: [{ url: '/' }],
    tags: UPSTREAM_SERVICES.map((s) => API_TAGS[s]),
    paths,
    components: { securitySchemes: shared.securitySchemes ?? {}, responses: shared.responses ?? {}, schemas },
    'x-keyward-sources': status,
    ...(conflicts.length > 0 ? { 'x-keyward-conflicts': conflicts } : {}),
  };
}
