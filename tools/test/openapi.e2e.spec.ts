import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { OpenAPIObject, OperationObject, ParameterObject, ReferenceObject, SecurityRequirementObject } from '@nestjs/swagger';
import type { RouteSpec, ServiceName } from '@keyward/contracts';
import { isPublicSafe, PUBLIC_ROUTES } from '@keyward/contracts';
import type { ServiceProcess } from '@keyward/testing';
import { startServiceProcess, stopServiceProcesses, testName } from '@keyward/testing';

// The edge's GET /openapi.json, with all six apps running as their own processes: valid OpenAPI 3,
// and the same routes as the route table the edge authorizes against and as the services' own
// documents, each with the table's permission and the keys that permission allows.

const REPO_ROOT = resolve(__dirname, '../..');
type Upstream = Exclude<ServiceName, 'edge'>;
const UPSTREAMS: readonly Upstream[] = ['keys', 'sessions', 'tickets', 'technicians', 'devices'];
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const;

type Operation = OperationObject & { 'x-permission'?: string };

interface Located {
  readonly method: string;
  readonly path: string;
  readonly operation: Operation;
}

function operationsOf(document: OpenAPIObject): Located[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.flatMap((m) => (item[m] ? [{ method: m.toUpperCase(), path, operation: item[m] as Operation }] : [])));
}

/** `/v1/keys/{keyId}` → `/v1/keys/:keyId`, the route table's notation. */
const toExpress = (path: string): string => path.replace(/\{([^}/]+)\}/g, ':$1');
/** The path with parameter names erased: what a router matches on. */
const shape = (path: string): string => toExpress(path).replace(/:[^/]+/g, ':');
const sorted = (values: Iterable<string>): string[] => [...new Set(values)].sort();

function difference(expected: Iterable<string>, actual: Iterable<string>): { missing: string[]; unexpected: string[] } {
  const want = new Set(expected);
  const got = new Set(actual);
  return { missing: sorted([...want].filter((x) => !got.has(x))), unexpected: sorted([...got].filter((x) => !want.has(x))) };
}

function routeFor(method: string, path: string): RouteSpec | undefined {
  return PUBLIC_ROUTES.find((r) => r.method === method && shape(r.path) === shape(path));
}

/** @seriousme/openapi-schema-validator is an ES module, which Jest's CommonJS runtime cannot load: it runs in a child Node. */
async function validateOpenApi(document: unknown): Promise<{ valid: boolean; errors?: unknown }> {
  const script = [
    "import { Validator } from '@seriousme/openapi-schema-validator';",
    "let text = ''; for await (const chunk of process.stdin) text += chunk;",
    'const result = await new Validator().validate(JSON.parse(text));',
    'process.stdout.write(JSON.stringify({ valid: result.valid, errors: result.errors }));',
  ].join('\n');
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  child.stdin.end(JSON.stringify(document));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`the OpenAPI validator exited ${String(code)}: ${err}`);
  return JSON.parse(out) as { valid: boolean; errors?: unknown };
}

async function getJson(url: string): Promise<OpenAPIObject & Record<string, unknown>> {
  const res = await fetch(url);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${text}`);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return JSON.parse(text) as OpenAPIObject & Record<string, unknown>;
}

describe('the OpenAPI document of the public API', () => {
  const prefix = `${testName('openapi')}.`;
  const running: ServiceProcess[] = [];
  const services = new Map<Upstream, ServiceProcess>();
  let edge: ServiceProcess;
  let document: OpenAPIObject & Record<string, unknown>;
  const serviceDocuments = new Map<Upstream, OpenAPIObject>();

  beforeAll(async () => {
    const env = { KAFKA_TOPIC_PREFIX: prefix };
    // Two at a time: five start-ups at once on a shared two-core machine only make each slower.
    for (let i = 0; i < UPSTREAMS.length; i += 2) {
      await Promise.all(UPSTREAMS.slice(i, i + 2).map(async (service) => {
        const proc = await startServiceProcess(service, { env, database: testName(service), readyTimeoutMs: 120_000 });
        running.push(proc);
        services.set(service, proc);
      }));
    }
    const upstreamUrls = Object.fromEntries(UPSTREAMS.map((s) => [`${s.toUpperCase()}_URL`, services.get(s)?.url ?? '']));
    edge = await startServiceProcess('edge', { env: { ...env, ...upstreamUrls }, database: testName('edge'), readyTimeoutMs: 120_000 });
    running.push(edge);

    document = await getJson(`${edge.url}/openapi.json`);
    for (const service of UPSTREAMS) serviceDocuments.set(service, await getJson(`${services.get(service)?.url ?? ''}/openapi.json`));
  }, 400_000);

  afterAll(async () => {
    await stopServiceProcesses(running);
  }, 120_000);

  it('is valid OpenAPI 3, and so is each service\'s own', async () => {
    const result = await validateOpenApi(document);
    if (!result.valid) console.error(`the edge's /openapi.json is not valid OpenAPI:\n${JSON.stringify(result.errors, null, 2)}`);
    expect(result.valid).toBe(true);
    for (const [service, own] of serviceDocuments) {
      const ownResult = await validateOpenApi(own);
      if (!ownResult.valid) console.error(`${service}'s /openapi.json is not valid OpenAPI:\n${JSON.stringify(ownResult.errors, null, 2)}`);
      expect({ service, valid: ownResult.valid }).toEqual({ service, valid: true });
    }
  });

  it('is the Keyward API at this server, made from every service\'s own document, with both kinds of key', () => {
    expect(document.openapi).toMatch(/^3\./);
    expect(document.info.title).toBe('Keyward API');
    expect(document.servers).toEqual([{ url: '/' }]);
    expect(document['x-keyward-sources']).toEqual(Object.fromEntries(UPSTREAMS.map((s) => [s, expect.objectContaining({ state: 'live' })])));
    const schemes = document.components?.securitySchemes ?? {};
    expect(schemes['publicKey']).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: expect.stringContaining('kw_pk_'), description: expect.stringContaining('X-API-Key') });
    expect(schemes['privateKey']).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: expect.stringContaining('kw_sk_'), description: expect.stringContaining('X-API-Key') });
    expect(document.components?.schemas?.['Problem']).toMatchObject({ type: 'object', required: expect.arrayContaining(['type', 'title', 'status', 'code']) });
  });

  it('lists the same operations (method and path shape) as the route table', () => {
    const diff = difference(PUBLIC_ROUTES.map((r) => `${r.method} ${shape(r.path)}`), operationsOf(document).map((o) => `${o.method} ${shape(o.path)}`));
    expect({ 'in the route table, not in the document': diff.missing, 'in the document, not in the route table': diff.unexpected })
      .toEqual({ 'in the route table, not in the document': [], 'in the document, not in the route table': [] });
  });

  it('has exactly the operations each service exposes, and the route table sends each to the service that has it', () => {
    const exposed = UPSTREAMS.flatMap((service) => operationsOf(serviceDocuments.get(service) as OpenAPIObject).map((o) => `${service} ${o.method} ${shape(o.path)}`));
    for (const [service, own] of serviceDocuments) {
      const notPublic = Object.keys(own.paths).filter((p) => !p.startsWith('/v1/') && p !== '/v1');
      expect({ service, notPublic }).toEqual({ service, notPublic: [] });
    }
    const table = difference(PUBLIC_ROUTES.map((r) => `${r.service} ${r.method} ${shape(r.path)}`), exposed);
    expect({ 'in the route table, not exposed by that service': table.missing, 'exposed by a service, not in the route table for it': table.unexpected })
      .toEqual({ 'in the route table, not exposed by that service': [], 'exposed by a service, not in the route table for it': [] });
    const merged = difference(exposed.map((e) => e.slice(e.indexOf(' ') + 1)), operationsOf(document).map((o) => `${o.method} ${shape(o.path)}`));
    expect({ 'exposed by a service, not in the edge document': merged.missing, 'in the edge document, exposed by no service': merged.unexpected })
      .toEqual({ 'exposed by a service, not in the edge document': [], 'in the edge document, exposed by no service': [] });
  });

  it('names path parameters as the route table does', () => {
    const diff = difference(PUBLIC_ROUTES.map((r) => `${r.method} ${r.path}`), operationsOf(document).map((o) => `${o.method} ${toExpress(o.path)}`));
    expect({ 'in the route table': diff.missing, 'in the document': diff.unexpected }).toEqual({ 'in the route table': [], 'in the document': [] });
  });

  it('gives every operation the route table\'s permission, summary, the keys that permission allows and problem answers', () => {
    const mismatches: string[] = [];
    for (const { method, path, operation } of operationsOf(document)) {
      const route = routeFor(method, path);
      if (!route) continue; // reported by the comparison of routes
      const where = `${method} ${path}`;
      if (operation['x-permission'] !== route.permission) mismatches.push(`${where}: x-permission ${String(operation['x-permission'])}, the route table says ${route.permission}`);
      const expected: SecurityRequirementObject[] = isPublicSafe(route.permission) ? [{ publicKey: [] }, { privateKey: [] }] : [{ privateKey: [] }];
      if (JSON.stringify(operation.security) !== JSON.stringify(expected)) mismatches.push(`${where}: security ${JSON.stringify(operation.security)}, expected ${JSON.stringify(expected)}`);
      if (operation.summary !== route.summary) mismatches.push(`${where}: summary "${String(operation.summary)}", the route table says "${route.summary}"`);
      for (const status of ['401', '403']) {
        if (!operation.responses[status]) mismatches.push(`${where}: no ${status} answer`);
      }
      if (!Object.keys(operation.responses).some((s) => s.startsWith('2'))) mismatches.push(`${where}: no success answer`);
    }
    expect(mismatches).toEqual([]);
    const publicSafe = operationsOf(document).filter((o) => (o.operation.security ?? []).some((s) => 'publicKey' in s)).map((o) => `${o.method} ${toExpress(o.path)}`);
    expect(sorted(publicSafe)).toEqual(sorted(PUBLIC_ROUTES.filter((r) => isPublicSafe(r.permission)).map((r) => `${r.method} ${r.path}`)));
  });

  it('documents the query parameters of a query DTO (GET /v1/keys) and the body DTO of a command (POST /v1/keys)', () => {
    const list = operationsOf(document).find((o) => o.method === 'GET' && o.path === '/v1/keys')?.operation;
    const query = (list?.parameters ?? []).filter((p): p is ParameterObject => !('$ref' in p) && p.in === 'query');
    expect(query.map((p) => [p.name, p.required])).toEqual([['kind', false], ['status', false], ['limit', false], ['cursor', false]]);
    expect(query.find((p) => p.name === 'limit')?.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 100 });

    const create = operationsOf(document).find((o) => o.method === 'POST' && o.path === '/v1/keys')?.operation;
    const body = create?.requestBody as { content: Record<string, { schema: ReferenceObject }> } | undefined;
    const ref = body?.content['application/json']?.schema.$ref ?? '';
    const schema = document.components?.schemas?.[ref.replace('#/components/schemas/', '')];
    expect(schema).toMatchObject({ type: 'object', required: expect.arrayContaining(['kind', 'name', 'permissions']) });
  });

  it('tells the truth: every operation\'s statuses with their codes, closed body schemas, path patterns, bodies required only when they are', () => {
    const responseText = (operation: Operation, status: string): string => {
      const r = operation.responses[status] as { $ref?: string; description?: string } | undefined;
      const shared = r?.$ref ? document.components?.responses?.[r.$ref.replace('#/components/responses/', '')] as { description?: string } | undefined : r;
      return shared?.description ?? '';
    };
    const gaps: string[] = [];
    for (const { method, path, operation } of operationsOf(document)) {
      const where = `${method} ${path}`;
      for (const [status, code] of [['400', 'json_too_deep'], ['400', 'malformed_json'], ['429', 'too_many_auth_failures'], ['503', 'authorization_unavailable'], ['503', 'database_unavailable'], ['503', 'overloaded'], ['502', 'upstream_unavailable'], ['504', 'upstream_timeout']] as const) {
        if (!responseText(operation, status).includes(`\`${code}\``)) gaps.push(`${where}: ${status} without ${code}`);
      }
      if (operation.requestBody) {
        for (const status of ['413', '415', '422']) if (!operation.responses[status]) gaps.push(`${where}: takes a body, no ${status}`);
      }
      for (const p of (operation.parameters ?? []).filter((x): x is ParameterObject => !('$ref' in x) && x.in === 'path')) {
        if (!(p.schema as { pattern?: string } | undefined)?.pattern) gaps.push(`${where}: path parameter ${p.name} without a pattern`);
      }
    }
    for (const [name, schema] of Object.entries(document.components?.schemas ?? {})) {
      if (name !== 'Problem' && (schema as { additionalProperties?: unknown }).additionalProperties !== false) gaps.push(`schema ${name} is not closed`);
    }
    expect(gaps).toEqual([]);
    const op = (method: string, path: string): Operation => {
      const found = operationsOf(document).find((o) => o.method === method && o.path === path)?.operation;
      if (!found) throw new Error(`no ${method} ${path}`);
      return found;
    };
    expect(op('POST', '/v1/sessions').requestBody).toMatchObject({ required: false });
    expect(op('POST', '/v1/keys').requestBody).toMatchObject({ required: true });
    expect(responseText(op('POST', '/v1/technicians'), '409')).toContain('`technician_email_taken`');
    expect(responseText(op('GET', '/v1/sessions/history'), '422')).toContain('`invalid_date_range`');
    expect(responseText(op('POST', '/v1/devices'), '422')).toContain('`invalid_text`');
  });
});
