import type { Permission } from '@keyward/contracts';
import { MongoEventStore } from '@keyward/event-store';
import { waitFor } from '@keyward/testing';
import type { KeysTestApp } from './testing/keys-test-app.spec-helper';
import { startKeysTestApp } from './testing/keys-test-app.spec-helper';

// Key managers cannot reach above themselves: every command on an existing key needs a caller
// holding every permission the key holds. Table: each command × a target weaker than, equal to
// or stronger than the calling key, through HTTP on the run's real Kafka and FerretDB. A refused
// command answers 403 permission_escalation and writes nothing: the key's event stream is the same.

type Reply = Awaited<ReturnType<KeysTestApp['call']>>;

const CALLER: readonly Permission[] = ['devices:read', 'keys:manage', 'keys:read'];

const TARGETS = {
  weaker: ['devices:read'],
  equal: CALLER,
  /** Everything the caller holds and one more. */
  stronger: [...CALLER, 'technicians:write'],
  /** Weaker-looking, but holding what the caller lacks. */
  'stronger (another permission)': ['devices:write'],
} as const satisfies Record<string, readonly Permission[]>;

type Strength = keyof typeof TARGETS;

interface Command {
  readonly name: string;
  readonly method: 'POST' | 'PUT';
  readonly path: (id: string) => string;
  readonly body: () => Record<string, unknown>;
  /** The event a permitted command records. */
  readonly records: string;
  /** Brings the target into a state the command applies to (the admin does it). */
  readonly setUp?: (app: KeysTestApp, id: string) => Promise<void>;
}

const inDays = (days: number): string => new Date(Date.now() + days * 86_400_000).toISOString();

const COMMANDS: readonly Command[] = [
  // The one the issue measured: the new secret in the answer, the owner's old one working for a week.
  { name: 'rotate', method: 'POST', path: (id) => `/v1/keys/${id}/rotate`, body: () => ({ gracePeriodSeconds: 604_800 }), records: 'KeyRotated' },
  { name: 'disable', method: 'POST', path: (id) => `/v1/keys/${id}/disable`, body: () => ({ reason: 'escalation test' }), records: 'KeyDisabled' },
  {
    name: 'enable', method: 'POST', path: (id) => `/v1/keys/${id}/enable`, body: () => ({}), records: 'KeyEnabled',
    setUp: async (app, id) => expectStatus(await app.call('POST', `/v1/keys/${id}/disable`, {}), 200),
  },
  { name: 'change expiry', method: 'PUT', path: (id) => `/v1/keys/${id}/expiry`, body: () => ({ expiresAt: inDays(30) }), records: 'KeyExpiryChanged' },
  // Narrowing only, to what the caller holds: still refused on a stronger key.
  { name: 'change permissions', method: 'PUT', path: (id) => `/v1/keys/${id}/permissions`, body: () => ({ permissions: ['keys:read'] }), records: 'KeyPermissionsChanged' },
  { name: 'change allowed IPs', method: 'PUT', path: (id) => `/v1/keys/${id}/allowed-ips`, body: () => ({ allowedIps: ['10.0.0.0/8'] }), records: 'KeyAllowedIpsChanged' },
  { name: 'change allowed origins', method: 'PUT', path: (id) => `/v1/keys/${id}/allowed-origins`, body: () => ({ allowedOrigins: ['https://shop.example.com'] }), records: 'KeyAllowedOriginsChanged' },
  { name: 'change the rate limit', method: 'PUT', path: (id) => `/v1/keys/${id}/rate-limit`, body: () => ({ rateLimit: { requests: 10, windowSeconds: 60 } }), records: 'KeyRateLimitChanged' },
  { name: 'revoke', method: 'POST', path: (id) => `/v1/keys/${id}/revoke`, body: () => ({ reason: 'escalation test' }), records: 'KeyRevoked' },
];

function expectStatus(reply: Reply, status: number): void {
  expect({ status: reply.status, body: reply.status === status ? {} : reply.body }).toEqual({ status, body: {} });
}

describe('keys API: a key manager cannot reach above itself', () => {
  let app: KeysTestApp;
  let caller: { id: string; secret: string };

  const create = async (name: string, permissions: readonly Permission[], secret?: string): Promise<{ id: string; secret: string }> => {
    const reply = await app.call('POST', '/v1/keys', { kind: 'private', name, permissions }, secret);
    const key = reply.body['key'] as { id?: unknown } | undefined;
    if (reply.status !== 201 || typeof key?.id !== 'string' || typeof reply.body['secret'] !== 'string') {
      throw new Error(`creating ${name} answered ${reply.status} ${JSON.stringify(reply.body)}`);
    }
    return { id: key.id, secret: reply.body['secret'] };
  };
  /** The key's stream as stored, and as the API shows it. */
  const stream = async (id: string): Promise<{ stored: number; history: unknown }> => ({
    stored: await app.app.get(MongoEventStore).events.countDocuments({ aggregateId: id }),
    history: (await app.call('GET', `/v1/keys/${id}/events`)).body,
  });
  const typesOf = async (id: string): Promise<string[]> => {
    const items = (await app.call('GET', `/v1/keys/${id}/events`)).body['items'];
    return Array.isArray(items) ? items.map((e: { type?: unknown }) => String(e.type)) : [];
  };
  const known = async (secret: string): Promise<void> => {
    await waitFor('the key projection to know the key', async () => (await app.call('GET', '/v1/keys?limit=1', undefined, secret)).status === 200, { timeoutMs: 15_000 });
  };

  beforeAll(async () => {
    app = await startKeysTestApp({ accountId: 'acc_escalation' });
    caller = await create('key manager', CALLER);
    await known(caller.secret);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
  });

  const cases = COMMANDS.flatMap((command) => (Object.keys(TARGETS) as Strength[]).map((strength) => [command.name, strength, command] as const));

  it.each(cases)('%s of a %s key', async (_name, strength, command) => {
    const target = await create(`${strength} target`, TARGETS[strength]);
    await command.setUp?.(app, target.id);
    const before = await stream(target.id);

    const reply = await app.call(command.method, command.path(target.id), command.body(), caller.secret);

    if (strength === 'weaker' || strength === 'equal') {
      expectStatus(reply, 200);
      expect(await typesOf(target.id)).toEqual([...(before.history as { items: { type: string }[] }).items.map((e) => e.type), command.records]);
      return;
    }
    expectStatus(reply, 403);
    expect(reply.body['code']).toBe('permission_escalation');
    expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(reply.body['detail']).toMatch(new RegExp(`holds permissions the calling key does not: ${TARGETS[strength].filter((p) => !CALLER.includes(p)).join(', ')}`));
    expect(reply.body['secret']).toBeUndefined();
    // Nothing was written: the stored stream and the history are as they were.
    expect(await stream(target.id)).toEqual(before);
  });

  it('refuses even a command that would change nothing, so a refusal does not depend on the state', async () => {
    const target = await create('stronger, already disabled', TARGETS.stronger);
    expectStatus(await app.call('POST', `/v1/keys/${target.id}/disable`, {}), 200);
    const before = await stream(target.id);
    const reply = await app.call('POST', `/v1/keys/${target.id}/disable`, {}, caller.secret);
    expect({ status: reply.status, code: reply.body['code'] }).toEqual({ status: 403, code: 'permission_escalation' });
    expect(await stream(target.id)).toEqual(before);
  });

  it('lets a key rotate itself, change its own expiry and addresses and drop its own permissions, never grant itself one more', async () => {
    const self = await create('self manager', CALLER);
    await known(self.secret);
    const own = (method: 'POST' | 'PUT', action: string, body: Record<string, unknown>): Promise<Reply> =>
      app.call(method, `/v1/keys/${self.id}/${action}`, body, self.secret);

    const before = await stream(self.id);
    const grant = await own('PUT', 'permissions', { permissions: [...CALLER, 'technicians:read'] });
    expect({ status: grant.status, code: grant.body['code'], permissions: grant.body['permissions'] })
      .toEqual({ status: 403, code: 'permission_escalation', permissions: ['technicians:read'] });
    expect(await stream(self.id)).toEqual(before);

    expectStatus(await own('PUT', 'expiry', { expiresAt: inDays(60) }), 200);
    expectStatus(await own('PUT', 'allowed-ips', { allowedIps: ['127.0.0.1', '::1'] }), 200);
    // The old secret keeps working in the grace period, so this spec goes on with it.
    expectStatus(await own('POST', 'rotate', { gracePeriodSeconds: 3600 }), 200);
    expectStatus(await own('PUT', 'permissions', { permissions: ['keys:manage', 'keys:read'] }), 200);
    expect(await typesOf(self.id)).toEqual(['KeyCreated', 'KeyExpiryChanged', 'KeyAllowedIpsChanged', 'KeyRotated', 'KeyPermissionsChanged']);

    // Having dropped devices:read, it can no longer reach a key holding it: the rule follows what it holds now.
    const peer = await create('peer', CALLER);
    // The caller's permissions are the key projection's, a moment behind the store: wait with a probe
    // that writes nothing either way (an expiry in the past is refused 422 once the caller is let through).
    await waitFor('the narrowed permissions to reach the key projection', async () => {
      const r = await app.call('PUT', `/v1/keys/${peer.id}/expiry`, { expiresAt: inDays(-1) }, self.secret);
      return r.status === 403 && r.body['code'] === 'permission_escalation';
    }, { timeoutMs: 15_000 });
    const disable = await app.call('POST', `/v1/keys/${peer.id}/disable`, {}, self.secret);
    expect({ status: disable.status, code: disable.body['code'] }).toEqual({ status: 403, code: 'permission_escalation' });
    expect(await typesOf(peer.id)).toEqual(['KeyCreated']);

    // And it may switch itself off for good.
    expectStatus(await own('POST', 'revoke', { reason: 'leaked' }), 200);
    expect((await typesOf(self.id)).at(-1)).toBe('KeyRevoked');
  });

  it('refuses a narrower manager creating a key stronger than itself, as before', async () => {
    const reply = await app.call('POST', '/v1/keys', { kind: 'private', name: 'wider', permissions: ['keys:read', 'technicians:write'] }, caller.secret);
    expect({ status: reply.status, code: reply.body['code'], permissions: reply.body['permissions'] })
      .toEqual({ status: 403, code: 'permission_escalation', permissions: ['technicians:write'] });
  });
});
