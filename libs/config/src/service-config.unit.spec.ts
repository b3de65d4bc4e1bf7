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
