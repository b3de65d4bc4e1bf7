import { ConfigError, loadServiceConfig } from './service-config';

const BASE = { KAFKA_BROKERS: '127.0.0.1:9092', MONGODB_URI: 'mongodb://127.0.0.1:27017/' };
const SECRET = 's'.repeat(32);

describe('loadServiceConfig: the edge signing secret and the auth-failure throttle', () => {
  it('stops the start of the edge and of every service without EDGE_SIGNING_SECRET, naming it', () => {
    for (const service of ['edge', 'keys', 'devices'] as const) {
      let error: unknown;
      try {
        loadServiceConfig(service, BASE);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems.join('\n')).toMatch(/EDGE_SIGNING_SECRET is required/);
    }
  });

  it('refuses a secret shorter than 32 characters, together with every other problem', () => {
    expect(() => loadServiceConfig('keys', { ...BASE, EDGE_SIGNING_SECRET: 'short', AUTH_FAILURE_LIMIT: '0' })).toThrow(/EDGE_SIGNING_SECRET[\s\S]*AUTH_FAILURE_LIMIT/);
  });

  it('reads the secret, the signature window, the throttle and the client body timeout, with defaults', () => {
    const config = loadServiceConfig('tickets', { ...BASE, EDGE_SIGNING_SECRET: SECRET });
    expect(config).toMatchObject({ edgeSigningSecret: SECRET, edgeSignatureWindowMs: 30_000, authFailureLimit: 20, authFailureWindowMs: 60_000, clientBodyTimeoutMs: 10_000 });
    const tuned = loadServiceConfig('tickets', { ...BASE, EDGE_SIGNING_SECRET: SECRET, EDGE_SIGNATURE_WINDOW_MS: '5000', AUTH_FAILURE_LIMIT: '3', CLIENT_BODY_TIMEOUT_MS: '2000' });
    expect(tuned).toMatchObject({ edgeSignatureWindowMs: 5_000, authFailureLimit: 3, clientBodyTimeoutMs: 2_000 });
  });
});

describe('loadServiceConfig: the edge upstreams (<SERVICE>_URL lists)', () => {
  const env = { ...BASE, EDGE_SIGNING_SECRET: SECRET };

  it('defaults each service to one instance on loopback at its port, with the per-instance bounds', () => {
    const { edgeUpstreams, limits } = loadServiceConfig('edge', env);
    expect(edgeUpstreams.targets.keys).toEqual([{ origin: 'http://127.0.0.1:3001', hostname: '127.0.0.1', port: 3001, resolve: false }]);
    expect(edgeUpstreams.targets.devices.map((t) => t.origin)).toEqual(['http://127.0.0.1:3005']);
    expect(edgeUpstreams).toMatchObject({ timeoutMs: 10_000, slowAnswerMs: 2_500, maxQueued: 32, maxQueueWaitMs: 50, healthIntervalMs: 1000, ejectMs: 1000 });
    expect(limits.upstreamMaxInFlight).toBe(16);
    expect(limits.maxWritesPerSecond).toBe(0);
  });

  it('takes a slow-answer threshold up to the upstream timeout (a quarter of it by default) and a write rate', () => {
    expect(loadServiceConfig('edge', { ...env, UPSTREAM_TIMEOUT_MS: '4000' }).edgeUpstreams.slowAnswerMs).toBe(1000);
    expect(loadServiceConfig('edge', { ...env, UPSTREAM_SLOW_ANSWER_MS: '250' }).edgeUpstreams.slowAnswerMs).toBe(250);
    expect(() => loadServiceConfig('edge', { ...env, UPSTREAM_TIMEOUT_MS: '1000', UPSTREAM_SLOW_ANSWER_MS: '2000' })).toThrow(/UPSTREAM_SLOW_ANSWER_MS/);
    expect(loadServiceConfig('edge', { ...env, MAX_WRITES_PER_SECOND: '20' }).limits.maxWritesPerSecond).toBe(20);
    expect(() => loadServiceConfig('edge', { ...env, MAX_WRITES_PER_SECOND: '-1' })).toThrow(/MAX_WRITES_PER_SECOND/);
  });

  it('reads a comma list of instances, IPv6 literals and DNS names (which the edge resolves)', () => {
    const { targets } = loadServiceConfig('edge', { ...env, KEYS_URL: 'http://10.0.0.5:3001, http://[::1]:4001/,http://keys:3001', TICKETS_URL: 'http://tickets' }).edgeUpstreams;
    expect(targets.keys).toEqual([
      { origin: 'http://10.0.0.5:3001', hostname: '10.0.0.5', port: 3001, resolve: false },
      { origin: 'http://[::1]:4001', hostname: '::1', port: 4001, resolve: false },
      { origin: 'http://keys:3001', hostname: 'keys', port: 3001, resolve: true },
    ]);
    expect(targets.tickets).toEqual([{ origin: 'http://tickets:80', hostname: 'tickets', port: 80, resolve: true }]);
  });

  it('refuses a path, https, credentials, an empty entry and a duplicate, each named, together', () => {
    let error: unknown;
    try {
      loadServiceConfig('edge', {
        ...env, KEYS_URL: 'http://a:1/api', SESSIONS_URL: 'https://b:2', TICKETS_URL: 'http://u:p@c:3', TECHNICIANS_URL: 'http://d:4,,http://e:5', DEVICES_URL: 'http://f:6,http://f:6/',
        UPSTREAM_MAX_QUEUE_WAIT_MS: '0',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const expected of [/KEYS_URL entry "http:\/\/a:1\/api" must be only http:\/\/host:port/, /SESSIONS_URL entry "https:\/\/b:2" must be http:\/\//, /TICKETS_URL entry "http:\/\/…@c:3" must be only/,
      /TECHNICIANS_URL entry "" is empty/, /DEVICES_URL names http:\/\/f:6 twice/, /UPSTREAM_MAX_QUEUE_WAIT_MS must be an integer/]) {
      expect(problems).toMatch(expected);
    }
    expect(problems).not.toContain('u:p');
  });
});

describe('loadServiceConfig: the instance id (scale-out)', () => {
  const env = { ...BASE, EDGE_SIGNING_SECRET: SECRET };

  it('defaults to <hostname>-<port>, so two instances on one host differ and a restart keeps its id', () => {
    const a = loadServiceConfig('sessions', { ...env, PORT: '3002' }, 'node-1');
    const b = loadServiceConfig('sessions', { ...env, PORT: '3012' }, 'node-1');
    expect(a.instanceId).toBe('node-1-3002');
    expect(b.instanceId).toBe('node-1-3012');
    expect(loadServiceConfig('sessions', { ...env, PORT: '3002' }, 'node-1').instanceId).toBe(a.instanceId);
    expect(loadServiceConfig('keys', env, 'box.example').instanceId).toBe('box.example-3001');
  });

  it('takes INSTANCE_ID as given and refuses one that a group name or document id would not carry unchanged', () => {
    expect(loadServiceConfig('keys', { ...env, INSTANCE_ID: 'keys-0' }, 'h').instanceId).toBe('keys-0');
    expect(() => loadServiceConfig('keys', { ...env, INSTANCE_ID: 'a b/c' }, 'h')).toThrow(/INSTANCE_ID/);
    expect(loadServiceConfig('keys', env, 'weird host!').instanceId).toBe('weird-host--3001');
  });
});

describe('loadServiceConfig: the keys service\'s expiry sweep', () => {
  it('sweeps every second by default, takes KEY_EXPIRY_SWEEP_MS, and names a value it refuses', () => {
    expect(loadServiceConfig('keys', { ...BASE, EDGE_SIGNING_SECRET: SECRET }).keyExpirySweepMs).toBe(1000);
    expect(loadServiceConfig('keys', { ...BASE, EDGE_SIGNING_SECRET: SECRET, KEY_EXPIRY_SWEEP_MS: '250' }).keyExpirySweepMs).toBe(250);
    expect(() => loadServiceConfig('keys', { ...BASE, EDGE_SIGNING_SECRET: SECRET, KEY_EXPIRY_SWEEP_MS: 'soon' })).toThrow(/KEY_EXPIRY_SWEEP_MS/);
  });
});
