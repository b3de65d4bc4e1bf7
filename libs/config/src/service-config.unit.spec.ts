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
