import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

// docker-compose.yml is read by Docker Compose, which nothing in CI runs, so this spec is what
// keeps it valid: it checks the file against the official Compose Specification schema
// (vendored in compose-spec.schema.json, see README.md) and checks how the apps are wired.

const repoRoot = resolve(__dirname, '../..');
const APPS = ['edge', 'keys', 'sessions', 'tickets', 'technicians', 'devices'] as const;
const EDGE_UPSTREAMS = ['KEYS_URL', 'SESSIONS_URL', 'TICKETS_URL', 'TECHNICIANS_URL', 'DEVICES_URL'] as const;

// Go's time.ParseDuration syntax ("1m30s"), which Compose uses for durations. compose-go registers
// a format of that name; ajv-formats' own `duration` is ISO 8601 ("PT1M30S") and would be wrong.
const GO_DURATION = /^[-+]?(0|((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+)$/;

type Dict = Record<string, unknown>;

function isDict(value: unknown): value is Dict {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function dict(value: unknown, what: string): Dict {
  if (!isDict(value)) throw new Error(`${what} is not a mapping: ${JSON.stringify(value)}`);
  return value;
}

// Compose reads scalars (`PORT: 3000`, `PORT: "3000"`) as the same string.
function text(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : JSON.stringify(value);
}

function list(value: unknown): unknown[] | undefined {
  return Array.isArray(value) ? (value as unknown[]) : undefined;
}

function readComposeFile(): unknown {
  const source = readFileSync(resolve(repoRoot, 'docker-compose.yml'), 'utf8');
  // Compose resolves YAML merge keys (`<<: *anchor`), which are not part of YAML 1.2's core schema.
  return parse(source, { merge: true });
}

function compileSchema(): ValidateFunction {
  const schema: unknown = JSON.parse(
    readFileSync(resolve(repoRoot, 'tools/compose/compose-spec.schema.json'), 'utf8'),
  );
  const schemaObject = dict(schema, 'compose-spec.schema.json');
  if (schemaObject['$schema'] !== 'https://json-schema.org/draft/2020-12/schema') {
    throw new Error(`compose-spec.schema.json declares ${text(schemaObject['$schema'])}; pick the matching Ajv class`);
  }
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('duration', GO_DURATION);
  return ajv.compile(schemaObject);
}

function schemaErrors(validate: ValidateFunction, document: unknown): Array<Pick<ErrorObject, 'instancePath' | 'message' | 'params'>> {
  if (validate(document)) return [];
  return (validate.errors ?? []).map(({ instancePath, message, params }) => ({ instancePath, message, params }));
}

function service(document: unknown, name: string): Dict {
  return dict(dict(dict(document, 'the compose file')['services'], 'services')[name], `services.${name}`);
}

// `environment` may be a mapping or a list of KEY=VALUE strings; values are compared as strings.
function environmentOf(svc: Dict): Map<string, string> {
  const env = svc['environment'];
  const items = list(env);
  const entries = new Map<string, string>();
  if (items) {
    for (const item of items) {
      const entry = text(item);
      const eq = entry.indexOf('=');
      if (eq > 0) entries.set(entry.slice(0, eq), entry.slice(eq + 1));
    }
  } else if (isDict(env)) {
    for (const [key, value] of Object.entries(env)) {
      if (value !== null && value !== undefined) entries.set(key, text(value));
    }
  }
  return entries;
}

// `depends_on` may be a list of names (condition service_started) or a mapping with conditions.
function dependencyConditions(svc: Dict): Map<string, string> {
  const deps = svc['depends_on'];
  const names = list(deps);
  const conditions = new Map<string, string>();
  if (names) {
    for (const name of names) conditions.set(text(name), 'service_started');
  } else if (isDict(deps)) {
    for (const [name, spec] of Object.entries(deps)) {
      const condition = isDict(spec) ? spec['condition'] : undefined;
      conditions.set(name, typeof condition === 'string' ? condition : 'service_started');
    }
  }
  return conditions;
}

interface PublishedPort {
  hostIp: string | undefined;
  published: string | undefined;
  target: string;
}

// Ports in short syntax ("[HOST_IP:]HOST:CONTAINER[/PROTOCOL]", or a bare number) or long syntax.
function publishedPorts(svc: Dict): PublishedPort[] {
  return (list(svc['ports']) ?? []).map((port): PublishedPort => {
    if (isDict(port)) {
      const hostIp = port['host_ip'];
      const published = port['published'];
      return {
        hostIp: typeof hostIp === 'string' ? hostIp : undefined,
        published: published === undefined ? undefined : text(published),
        target: text(port['target']),
      };
    }
    const parts = text(port).replace(/\/(tcp|udp)$/, '').split(':');
    const target = parts.pop() ?? '';
    const published = parts.pop();
    const hostIp = parts.length > 0 ? parts.join(':') : undefined;
    return { hostIp, published, target };
  });
}

describe('docker-compose.yml', () => {
  const document = readComposeFile();
  const validate = compileSchema();

  it('conforms to the Compose Specification schema', () => {
    expect(schemaErrors(validate, document)).toEqual([]);
  });

  it('is rejected by the schema once a service has a property Compose does not know', () => {
    const broken = structuredClone(document);
    service(broken, 'keys')['bogus'] = 1;

    const errors = schemaErrors(validate, broken);

    // The schema closes services with unevaluatedProperties (additionalProperties in older ones).
    const rejectedProperties = errors
      .filter(({ instancePath }) => instancePath === '/services/keys')
      .flatMap(({ params }): unknown[] => Object.values(params as Record<string, unknown>));
    expect(rejectedProperties).toContain('bogus');
  });

  it('is rejected by the schema once a healthcheck has a value of the wrong type', () => {
    const broken = structuredClone(document);
    dict(service(broken, 'kafka')['healthcheck'], 'services.kafka.healthcheck')['retries'] = { many: true };

    expect(schemaErrors(validate, broken)).not.toEqual([]);
  });

  it('defines exactly one service per app plus kafka, mongo and the one-shot admin-key bootstrap', () => {
    const names = Object.keys(dict(dict(document, 'the compose file')['services'], 'services'));

    expect(names.sort()).toEqual([...APPS, 'kafka', 'mongo', 'bootstrap'].sort());
  });

  it('runs the bootstrap once, from the keys image, after the keys service is healthy', () => {
    const bootstrap = service(document, 'bootstrap');
    expect(dict(bootstrap['build'], 'services.bootstrap.build')['args']).toEqual({ APP: 'keys' });
    expect(bootstrap['restart']).toBe('no');
    expect(dict(bootstrap['depends_on'], 'services.bootstrap.depends_on')['keys']).toEqual({ condition: 'service_healthy' });
    expect(JSON.stringify(bootstrap['command'])).toContain('apps/keys/src/bootstrap/bootstrap.cli.ts');
  });

  it('gives every app the same required edge signing secret, and lets the edge trust no X-Forwarded-For', () => {
    const secrets = APPS.map((app) => environmentOf(service(document, app)).get('EDGE_SIGNING_SECRET'));
    // A required interpolation (`${VAR:?message}`): Compose refuses to start without one, never a shared default.
    expect(secrets[0]).toMatch(/^\$\{EDGE_SIGNING_SECRET:\?.+\}$/);
    expect(new Set(secrets).size).toBe(1);
    expect(environmentOf(service(document, 'edge')).get('TRUSTED_PROXIES')).toBe('');
  });

  it.each(APPS)('builds %s from the repository Dockerfile with the APP build arg', (app) => {
    const build = dict(service(document, app)['build'], `services.${app}.build`);

    expect(build['context']).toBe('.');
    expect(build['dockerfile']).toBe('Dockerfile');
    expect(dict(build['args'], `services.${app}.build.args`)['APP']).toBe(app);
    expect(existsSync(resolve(repoRoot, 'Dockerfile'))).toBe(true);
  });

  it('has a Dockerfile that builds the app named by the APP arg from its TypeScript source', () => {
    const dockerfile = readFileSync(resolve(repoRoot, 'Dockerfile'), 'utf8');

    expect(dockerfile).toMatch(/^ARG APP$/m);
    expect(dockerfile).toMatch(/^ENV APP=\$APP\b/m);
    expect(dockerfile).toContain('node -r @swc-node/register');
    expect(dockerfile).toContain('apps/$APP/src/main.ts');
  });

  it.each(APPS)('points %s at Kafka and MongoDB inside the Compose network', (app) => {
    const env = environmentOf(service(document, app));

    expect(env.get('KAFKA_BROKERS')).toBe('kafka:9092');
    expect(env.get('MONGODB_URI')).toBe('mongodb://mongo:27017/');
    expect(env.get('HOST')).toBe('0.0.0.0');
  });

  it('publishes the edge on its own PORT and on 127.0.0.1 only', () => {
    const svc = service(document, 'edge');
    const port = environmentOf(svc).get('PORT');

    expect(port).toMatch(/^30\d\d$/);
    expect(publishedPorts(svc)).toEqual([{ hostIp: '127.0.0.1', published: port, target: port }]);
  });

  // Scale-out (docs/scaling.md): every service runs as replicas on one database and topics.
  it.each(APPS.filter((a) => a !== 'edge'))('runs %s as 2 replicas, each on a host port of its own range on 127.0.0.1 only', (app) => {
    const svc = service(document, app);
    const port = environmentOf(svc).get('PORT');
    const replicas = dict(svc['deploy'], `services.${app}.deploy`)['replicas'];
    const [published] = publishedPorts(svc);

    expect(port).toMatch(/^30\d\d$/);
    expect(replicas).toBe(2);
    expect(published).toMatchObject({ hostIp: '127.0.0.1', target: port });
    const [from, to] = (published?.published ?? '').split('-').map(Number);
    // Enough host ports for every replica, and no range shared with another app.
    expect((to ?? 0) - (from ?? 0) + 1).toBeGreaterThanOrEqual(Number(replicas));
    const others = APPS.filter((a) => a !== app && a !== 'edge').map((a) => publishedPorts(service(document, a))[0]?.published ?? '');
    for (const other of others) {
      const [oFrom, oTo] = other.split('-').map(Number);
      expect((oTo ?? 0) < (from ?? 0) || (oFrom ?? 0) > (to ?? 0)).toBe(true);
    }
  });

  it.each(APPS)('starts %s only once kafka and mongo are healthy, and checks its /ready', (app) => {
    const svc = service(document, app);
    const conditions = dependencyConditions(svc);
    const test = dict(svc['healthcheck'], `services.${app}.healthcheck`)['test'];

    expect(conditions.get('kafka')).toBe('service_healthy');
    expect(conditions.get('mongo')).toBe('service_healthy');
    expect(JSON.stringify(test)).toContain('/ready');
  });

  it('gives every app its own port', () => {
    const ports = APPS.map((app) => environmentOf(service(document, app)).get('PORT'));

    expect(new Set(ports).size).toBe(APPS.length);
  });

  it.each(EDGE_UPSTREAMS)('routes the edge %s to the matching service and its port', (variable) => {
    const value = environmentOf(service(document, 'edge')).get(variable);
    expect(value).toBeDefined();
    const url = new URL(value ?? '');
    const upstream = variable.replace(/_URL$/, '').toLowerCase();

    expect(url.hostname).toBe(upstream);
    expect(url.port).toBe(environmentOf(service(document, upstream)).get('PORT'));
  });

  it('gives kafka and mongo the healthchecks the apps wait for, and named volumes', () => {
    const volumes = Object.keys(dict(dict(document, 'the compose file')['volumes'], 'volumes'));

    for (const name of ['kafka', 'mongo']) {
      const svc = service(document, name);
      const mountSources = (list(svc['volumes']) ?? []).map((mount) => text(mount).split(':')[0]);

      expect(svc['healthcheck']).toBeDefined();
      expect(mountSources).toHaveLength(1);
      expect(volumes).toContain(mountSources[0]);
    }
    expect(JSON.stringify(service(document, 'kafka')['healthcheck'])).toContain('kafka-broker-api-versions.sh');
  });

  it('runs a single-node KRaft kafka that never auto-creates topics', () => {
    const kafka = service(document, 'kafka');
    const env = environmentOf(kafka);

    expect(kafka['image']).toBe('apache/kafka:4.4.0');
    expect(env.get('KAFKA_PROCESS_ROLES')).toBe('broker,controller');
    expect(env.get('KAFKA_CONTROLLER_QUORUM_VOTERS')).toBe('1@kafka:9093');
    expect(env.get('KAFKA_ADVERTISED_LISTENERS')).toBe('PLAINTEXT://kafka:9092');
    expect(env.get('KAFKA_AUTO_CREATE_TOPICS_ENABLE')).toBe('false');
    for (const [key, value] of env) {
      if (/REPLICATION_FACTOR$|MIN_ISR$/.test(key)) expect([key, value]).toEqual([key, '1']);
    }
  });
});
