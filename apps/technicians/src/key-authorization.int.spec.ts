import mongoose from 'mongoose';
import { generateToken } from '@keyward/contracts';
import type { InProcessService, ServiceProcess } from '@keyward/testing';
import { edgeSignedHeaders, keyProbe, ManualClock, runTsScript, startInProcess, startServiceProcess, testInfra, testName, testServiceConfig, waitFor } from '@keyward/testing';
import { TechniciansModule } from './technicians.module';

// Every outcome of the per-request key check (DESIGN section 2) on a service that knows the keys
// only from Kafka: the keys service runs as its own process (real clock) and publishes on a topic
// prefix shared with two technicians apps run here (a clock this spec moves). The guarded route
// is the technicians probe (GET /v1/technicians), which needs `technicians:read`, a private-only permission.

interface Reply {
  status: number;
  body: Record<string, unknown>;
  contentType: string | null;
}

interface Admin {
  accountId: string;
  keyId: string;
  secret: string;
}

interface Created {
  id: string;
  secret: string;
  key: Record<string, unknown>;
}

const PROPAGATION_MS = 15_000;
const PROBE = keyProbe('technicians');
const READER = { kind: 'private', name: 'reader', permissions: [PROBE.permission] } as const;

async function request(url: string, method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<Reply> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, contentType: res.headers.get('content-type') };
}

/** `200`, or the status and problem code of a refusal: `401 key_revoked`. */
function outcome(reply: Reply): string {
  return reply.status < 400 ? String(reply.status) : `${reply.status} ${String(reply.body['code'])}`;
}

function bearer(secret: string, xForwardedFor?: string): Record<string, string> {
  return { authorization: `Bearer ${secret}`, ...(xForwardedFor !== undefined ? { 'x-forwarded-for': xForwardedFor } : {}) };
}

/** A character of a token's random part replaced by another base62 one: a typo the checksum catches. */
function mistyped(token: string): string {
  const i = 20;
  return token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
}

describe('technicians: every authorization outcome, with keys learned only from keys.events', () => {
  const prefix = `${testName('authz')}.`;
  const keysDatabase = testName('keys');
  const keysEnv = {
    KAFKA_BROKERS: testInfra().kafkaBrokers.join(','), MONGODB_URI: testInfra().mongodbUri, MONGODB_DATABASE: keysDatabase, KAFKA_TOPIC_PREFIX: prefix,
  };
  // The keys process runs on real time; this clock starts at real time and only this spec moves it.
  const base = new Date();
  const clock = new ManualClock(base);
  // The key-auth options come from each app's configuration, so the two apps differ only there.
  const proxiedConfig = testServiceConfig('technicians', { KAFKA_TOPIC_PREFIX: prefix });
  // Its own consumer group: sharing the other app's would split the partitions between them.
  const directConfig = testServiceConfig('technicians', { KAFKA_TOPIC_PREFIX: prefix, KEY_PROJECTION_GROUP_ID: `${prefix}technicians-direct-key-projection` });
  let keys: ServiceProcess | undefined;
  /** Called as the edge calls it: an X-Forwarded-For is sent under the edge's signature. */
  let proxied: InProcessService | undefined;
  /** Called directly: an X-Forwarded-For is sent unsigned, so the socket address is the client's. */
  let direct: InProcessService | undefined;
  let requests = 0;
  let main: Admin;
  let other: Admin;

  const app = (which: InProcessService | undefined): InProcessService => {
    if (!which) throw new Error('app not started');
    return which;
  };
  const guarded = (secret: string | undefined, options: { xff?: string; via?: InProcessService; headers?: Record<string, string> } = {}): Promise<Reply> =>
    request(app(options.via ?? proxied).url, 'GET', PROBE.path, {
      ...(secret !== undefined ? bearer(secret, options.xff) : options.xff !== undefined ? { 'x-forwarded-for': options.xff } : {}),
      ...(options.xff !== undefined && (options.via ?? proxied) === proxied
        ? edgeSignedHeaders({ method: 'GET', target: PROBE.path, requestId: `req-${++requests}`, clientIp: options.xff }, clock.now().getTime())
        : {}),
      ...options.headers,
    });
  const keysApi = (method: string, path: string, body?: unknown, secret = main.secret): Promise<Reply> => {
    if (!keys) throw new Error('keys not started');
    return request(keys.url, method, path, { authorization: `Bearer ${secret}` }, body);
  };
  const createKey = async (body: Record<string, unknown>): Promise<Created> => {
    const reply = await keysApi('POST', '/v1/keys', { ...READER, ...body });
    const secret = reply.body['secret'];
    const key = reply.body['key'] as Record<string, unknown> | undefined;
    if (reply.status !== 201 || typeof secret !== 'string' || !key) throw new Error(`creating a key answered ${reply.status} ${JSON.stringify(reply.body)}`);
    return { id: String(key['id']), secret, key };
  };
  /** Propagation: waits until the app knows the key (stops answering 401 unknown_key). */
  const known = (secret: string, via: InProcessService | undefined = proxied): Promise<Reply> =>
    waitFor(`the key to reach ${app(via).url}`, async () => {
      const reply = await guarded(secret, { via: app(via) });
      return reply.status === 401 && reply.body['code'] === 'unknown_key' ? false : reply;
    }, { timeoutMs: PROPAGATION_MS });
  const becomes = async (secret: string, expected: string): Promise<void> => {
    let last = '';
    await waitFor(`the key to answer ${expected}`, async () => {
      last = outcome(await guarded(secret));
      return last === expected;
    }, { timeoutMs: PROPAGATION_MS }).catch((e: unknown) => {
      throw new Error(`${e instanceof Error ? e.message : String(e)}; last answer ${last}`);
    });
  };
  const expectProblem = (reply: Reply, status: number, code: string): void => {
    expect({ status: reply.status, code: reply.body['code'] }).toEqual({ status, code });
    expect(reply.contentType).toMatch(/^application\/problem\+json/);
    expect(reply.body['status']).toBe(status);
  };
  const bootstrap = async (accountId: string): Promise<Admin> => {
    const result = await runTsScript('apps/keys/src/bootstrap/bootstrap.cli.ts', ['--account', accountId, '--json'], keysEnv);
    expect(result.code).toBe(0);
    const admin = JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as { created: boolean; keyId: string; secret: string };
    expect(admin.created).toBe(true);
    return { accountId, keyId: admin.keyId, secret: admin.secret };
  };

  beforeAll(async () => {
    main = await bootstrap('acc_main');
    other = await bootstrap('acc_other');
    keys = await startServiceProcess('keys', { env: keysEnv, database: keysDatabase });
    proxied = await startInProcess(TechniciansModule.forRoot({ config: proxiedConfig, clock }));
    direct = await startInProcess(TechniciansModule.forRoot({ config: directConfig, clock }));
    for (const via of [proxied, direct]) {
      await waitFor('the admin key to work on technicians', async () => (await guarded(main.secret, { via })).status === 200, { timeoutMs: 60_000 });
    }
  }, 240_000);

  afterAll(async () => {
    await direct?.close();
    await proxied?.close();
    await keys?.stop();
    for (const name of [keysDatabase, proxiedConfig.mongodbDatabase, directConfig.mongodbDatabase]) {
      const conn = await mongoose.createConnection(testInfra().mongodbUri, { dbName: name }).asPromise();
      await conn.dropDatabase().catch(() => undefined);
      await conn.close();
    }
  });

  afterEach(() => clock.set(base));

  it('answers 200 to a key learned from keys.events, sent as a Bearer token or in X-API-Key', async () => {
    expect(outcome(await guarded(main.secret))).toBe('200');
    const viaHeader = await request(app(proxied).url, 'GET', PROBE.path, { 'x-api-key': main.secret });
    expect(viaHeader.status).toBe(200);
    expect(Array.isArray(viaHeader.body['items'])).toBe(true);
  });

  it('answers 401 missing_key when no key is sent', async () => {
    const reply = await guarded(undefined);
    expectProblem(reply, 401, 'missing_key');
    expect(outcome(await guarded(undefined, { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } }))).toBe('401 missing_key');
  });

  it('answers 401 malformed_key to a token that is not in the key format', async () => {
    expectProblem(await guarded('not-a-keyward-key'), 401, 'malformed_key');
    expect(outcome(await guarded(main.secret.slice(0, -1)))).toBe('401 malformed_key');
    expect(outcome(await guarded(`${main.secret.slice(0, 20)}-${main.secret.slice(21)}`))).toBe('401 malformed_key');
    expect((await guarded('not-a-keyward-key')).body['detail']).toMatch(/not in the Keyward key format/);
  });

  it('answers 401 malformed_key with a checksum detail to a mistyped key', async () => {
    const reply = await guarded(mistyped(main.secret));
    expectProblem(reply, 401, 'malformed_key');
    expect(reply.body['detail']).toBe('The API key checksum does not match: the key was mistyped or truncated.');
  });

  it('answers 401 unknown_key to a well-formed key that no account has', async () => {
    expectProblem(await guarded(generateToken('private')), 401, 'unknown_key');
    expect(outcome(await guarded(generateToken('public')))).toBe('401 unknown_key');
  });

  it('answers 401 key_disabled once the keys service has disabled the key, and 200 again once it is re-enabled', async () => {
    const key = await createKey({ name: 'to disable' });
    expect(outcome(await known(key.secret))).toBe('200');
    expect((await keysApi('POST', `/v1/keys/${key.id}/disable`, { reason: 'test' })).status).toBe(200);
    await becomes(key.secret, '401 key_disabled');
    expectProblem(await guarded(key.secret), 401, 'key_disabled');
    expect((await keysApi('POST', `/v1/keys/${key.id}/enable`, {})).status).toBe(200);
    await becomes(key.secret, '200');
  });

  it('answers 401 key_revoked once the keys service has revoked the key', async () => {
    const key = await createKey({ name: 'to revoke' });
    expect(outcome(await known(key.secret))).toBe('200');
    expect((await keysApi('POST', `/v1/keys/${key.id}/revoke`, {})).status).toBe(200);
    await becomes(key.secret, '401 key_revoked');
    expectProblem(await guarded(key.secret), 401, 'key_revoked');
  });

  it('answers 401 key_expired as soon as its clock reaches expiresAt, before any KeyExpired event', async () => {
    const key = await createKey({ name: 'expires by the clock' });
    expect(outcome(await known(key.secret))).toBe('200');
    const expiresAt = new Date(String(key.key['expiresAt']));
    expect(expiresAt.getTime()).toBeGreaterThan(Date.now() + 300 * 86_400_000);

    clock.set(new Date(expiresAt.getTime() - 1));
    expect(outcome(await guarded(key.secret))).toBe('200');
    clock.set(expiresAt);
    expectProblem(await guarded(key.secret), 401, 'key_expired');
    // Nothing was recorded: the keys service, on real time, still holds the key active.
    const held = await keysApi('GET', `/v1/keys/${key.id}`);
    expect({ status: held.status, keyStatus: held.body['status'], version: held.body['version'] }).toEqual({ status: 200, keyStatus: 'active', version: 1 });
    clock.set(base);
    expect(outcome(await guarded(key.secret))).toBe('200');
  });

  it('accepts a rotated key\'s old secret inside its grace and the new one, and refuses the old one once its clock passes graceUntil', async () => {
    const key = await createKey({ name: 'rotated' });
    expect(outcome(await known(key.secret))).toBe('200');
    const rotated = await keysApi('POST', `/v1/keys/${key.id}/rotate`, { gracePeriodSeconds: 3600 });
    expect(rotated.status).toBe(200);
    const newSecret = String(rotated.body['secret']);
    const graceUntil = new Date(String((rotated.body['key'] as Record<string, unknown>)['previousSecretValidUntil']));
    expect(Number.isNaN(graceUntil.getTime())).toBe(false);

    // The new secret is known once KeyRotated has arrived; from then on the old one is the previous secret.
    expect(outcome(await known(newSecret))).toBe('200');
    expect(outcome(await guarded(key.secret))).toBe('200');

    clock.set(new Date(graceUntil.getTime() - 1));
    expect(outcome(await guarded(key.secret))).toBe('200');
    clock.set(graceUntil);
    expectProblem(await guarded(key.secret), 401, 'unknown_key');
    expect(outcome(await guarded(newSecret))).toBe('200');
    clock.set(new Date(graceUntil.getTime() + 86_400_000));
    expect(outcome(await guarded(key.secret))).toBe('401 unknown_key');
    expect(outcome(await guarded(newSecret))).toBe('200');
  });

  it('allows a key from its listed IPv4 socket address and answers 403 ip_not_allowed from any other', async () => {
    const loopback = await createKey({ name: 'loopback only', allowedIps: ['127.0.0.1'] });
    const elsewhere = await createKey({ name: 'private network only', allowedIps: ['10.0.0.0/8'] });
    for (const via of [proxied, direct]) {
      expect(outcome(await known(loopback.secret, via))).toBe('200');
      expectProblem(await known(elsewhere.secret, via), 403, 'ip_not_allowed');
    }
  });

  it('reads the client address the edge signed and matches it against an IPv6 range', async () => {
    const key = await createKey({ name: 'documentation range', allowedIps: ['2001:db8::/32'] });
    await known(key.secret);
    expect(outcome(await guarded(key.secret, { xff: '2001:db8::7' }))).toBe('200');
    expectProblem(await guarded(key.secret, { xff: '2001:db9::1' }), 403, 'ip_not_allowed');
    // Without the header the client is the socket peer, 127.0.0.1, outside the range.
    expect(outcome(await guarded(key.secret))).toBe('403 ip_not_allowed');
  });

  it('matches an IPv4-mapped IPv6 client address against IPv4 rules, and a mapped rule against an IPv4 client', async () => {
    const v4Rule = await createKey({ name: 'IPv4 range', allowedIps: ['198.51.100.0/24'] });
    const mappedRule = await createKey({ name: 'mapped range', allowedIps: ['::ffff:192.0.2.0/120'] });
    await known(v4Rule.secret);
    await known(mappedRule.secret);
    expect(outcome(await guarded(v4Rule.secret, { xff: '::ffff:198.51.100.7' }))).toBe('200');
    expect(outcome(await guarded(v4Rule.secret, { xff: '198.51.100.7' }))).toBe('200');
    expect(outcome(await guarded(v4Rule.secret, { xff: '::ffff:198.51.101.7' }))).toBe('403 ip_not_allowed');
    expect(outcome(await guarded(mappedRule.secret, { xff: '192.0.2.55' }))).toBe('200');
    expect(outcome(await guarded(mappedRule.secret, { xff: '::ffff:192.0.2.55' }))).toBe('200');
    expect(outcome(await guarded(mappedRule.secret, { xff: '192.0.3.55' }))).toBe('403 ip_not_allowed');
  });

  it('ignores an X-Forwarded-For without the edge\'s signature, so a client cannot claim an allowed address', async () => {
    const key = await createKey({ name: 'one address', allowedIps: ['203.0.113.9'] });
    await known(key.secret);
    await known(key.secret, direct);
    // Signed by the edge, the header is believed ...
    expect(outcome(await guarded(key.secret, { xff: '203.0.113.9' }))).toBe('200');
    // ... sent without a signature it is not: the client is the socket, 127.0.0.1.
    expectProblem(await guarded(key.secret, { xff: '203.0.113.9', via: app(direct) }), 403, 'ip_not_allowed');
    expect(outcome(await guarded(key.secret, { via: app(direct) }))).toBe('403 ip_not_allowed');
  });

  it('answers 403 permission_denied to a private key that does not hold the route\'s permission', async () => {
    const key = await createKey({ name: 'writer', permissions: ['technicians:write'] });
    const reply = await known(key.secret);
    expectProblem(reply, 403, 'permission_denied');
    expect(reply.body['detail']).toMatch(/technicians:read/);
  });

  it('answers 403 public_key_not_allowed to a public key on a private operation', async () => {
    const key = await createKey({ kind: 'public', name: 'app key', permissions: ['sessions:create'] });
    expect(key.secret.startsWith('kw_pk_')).toBe(true);
    const reply = await known(key.secret);
    expectProblem(reply, 403, 'public_key_not_allowed');
    expect(reply.body['detail']).toMatch(/technicians:read/);
  });

  it('answers 404 key_not_found when another account\'s admin asks for or changes this account\'s key', async () => {
    const key = await createKey({ name: 'account scoped' });
    await waitFor('the other account\'s admin key to work', async () => (await keysApi('GET', '/v1/keys', undefined, other.secret)).status === 200, { timeoutMs: PROPAGATION_MS });
    expect((await keysApi('GET', `/v1/keys/${key.id}`)).status).toBe(200);
    expectProblem(await keysApi('GET', `/v1/keys/${key.id}`, undefined, other.secret), 404, 'key_not_found');
    expectProblem(await keysApi('GET', `/v1/keys/${main.keyId}`, undefined, other.secret), 404, 'key_not_found');
    expectProblem(await keysApi('POST', `/v1/keys/${key.id}/revoke`, {}, other.secret), 404, 'key_not_found');
    // The refused revoke changed nothing: the key still works where it is enforced.
    expect(outcome(await known(key.secret))).toBe('200');
    expect((await keysApi('GET', `/v1/keys/${key.id}`)).body['status']).toBe('active');
  });
});
