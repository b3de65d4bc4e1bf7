import type { AdminKey, CreatedKey, Reply, ServiceProcess } from '@keyward/testing';
import { call, KeysApi, keyProjectionStatus, Platform, waitFor } from '@keyward/testing';

/**
 * Usage per key (issue 15 item 3, docs/usage.md), every service its own process: a scripted mix of
 * calls with two keys (successes, 403s, 401s of a disabled key; through the edge and straight to a
 * service) is counted once each, by operation and outcome, in GET /v1/keys/{id}/usage and in the
 * key's lastUsedAt once the flush interval has passed; after the edge and the service restart (new
 * sources whose counts add to the old ones) and then stop (the last flush on SIGTERM), the totals
 * are still exactly right.
 */

/** The outcomes a refusal of a known key is counted under (anything else the guard let through counts as ok). */
const KEY_REFUSALS = new Set(['key_disabled', 'key_expired', 'key_revoked', 'ip_not_allowed', 'permission_denied', 'public_key_not_allowed', 'too_many_auth_failures']);
const FAST = { USAGE_FLUSH_INTERVAL_MS: '300' };
/** So long that within the test only the flush on a graceful stop can publish. */
const SLOW = { USAGE_FLUSH_INTERVAL_MS: '60000' };

describe('usage per key', () => {
  const platform = new Platform();
  let admin: AdminKey;
  let keys: ServiceProcess;
  let technicians: ServiceProcess;
  let edge: ServiceProcess;
  let api: KeysApi;
  /** What the script expects, per key id: `<operation> <outcome>` → count. */
  const expected = new Map<string, Map<string, number>>();

  async function startEdgeAndTechnicians(env: Readonly<Record<string, string>>): Promise<void> {
    technicians = await platform.start('technicians', env);
    edge = await platform.start('edge', { ...env, KEYS_URL: keys.url, TECHNICIANS_URL: technicians.url });
  }

  beforeAll(async () => {
    admin = await platform.bootstrapAdmin('acc_usage');
    keys = await platform.start('keys', FAST);
    await startEdgeAndTechnicians(FAST);
    api = new KeysApi(keys.url, admin);
  }, 300_000);

  afterAll(async () => {
    await platform.close();
  });

  /** One call with a key, tallied under the outcome the platform must count for it. */
  async function use(key: CreatedKey, operation: string, baseUrl: string = edge.url, body?: unknown): Promise<Reply> {
    const [method = 'GET', template = '/'] = operation.split(' ');
    const reply = await call(baseUrl, method, template, { secret: key.secret, ...(body !== undefined ? { body } : {}) });
    const outcome = reply.code !== undefined && KEY_REFUSALS.has(reply.code) ? reply.code : 'ok';
    const tally = expected.get(key.id) ?? new Map<string, number>();
    tally.set(`${operation} ${outcome}`, (tally.get(`${operation} ${outcome}`) ?? 0) + 1);
    expected.set(key.id, tally);
    return reply;
  }

  /** The usage of a key as the keys service answers it, as `<operation> <outcome>` → count. */
  async function usageOf(keyId: string, granularity: 'minute' | 'hour' | 'day' = 'hour'): Promise<Record<string, number>> {
    const from = new Date(Date.now() - 2 * 3600_000).toISOString();
    const reply = await api.call('GET', `/v1/keys/${keyId}/usage?granularity=${granularity}&from=${from}`);
    if (reply.status !== 200) throw new Error(`usage of ${keyId} answered ${reply.status} ${reply.text}`);
    const totals = reply.body['totals'] as { operation: string; outcome: string; count: number }[];
    return Object.fromEntries(totals.map((t) => [`${t.operation} ${t.outcome}`, t.count]));
  }

  async function waitForExpectedUsage(what: string, ids: readonly string[]): Promise<void> {
    let last: Record<string, Record<string, number>> = {};
    try {
      await waitFor(what, async () => {
        last = {};
        for (const id of ids) last[id] = await usageOf(id);
        return ids.every((id) => JSON.stringify(sorted(last[id] ?? {})) === JSON.stringify(sorted(Object.fromEntries(expected.get(id) ?? []))));
      }, { timeoutMs: 30_000, intervalMs: 200 });
    } catch (e) {
      const want = Object.fromEntries(ids.map((id) => [id, sorted(Object.fromEntries(expected.get(id) ?? []))]));
      throw new Error(`${e instanceof Error ? e.message : String(e)}\nexpected ${JSON.stringify(want)}\ngot ${JSON.stringify(last)}`);
    }
  }

  /** Until every process knows `count` keys (so no call of the script meets unknown_key, and no probe uses a counted key). */
  async function waitForKeys(count: number): Promise<void> {
    for (const p of [edge, technicians]) {
      await waitFor(`${p.service} to know ${count} keys`, async () => (await keyProjectionStatus(p.url)).items >= count, { timeoutMs: 30_000 });
    }
  }

  it('counts each outcome once, where it was decided, and shows the last use on the key', async () => {
    const a = await api.create({ name: 'backend', permissions: ['technicians:read', 'technicians:write'] });
    const b = await api.create({ kind: 'public', name: 'widget', permissions: ['sessions:create', 'tickets:create'] });
    await waitForKeys(3);

    // Key A: successes forwarded by the edge (counted by technicians), refusals at the edge, one direct call.
    for (let i = 0; i < 3; i++) expect((await use(a, 'GET /v1/technicians')).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await use(a, 'POST /v1/technicians', edge.url, { name: `Ada ${i}`, email: `ada${i}@example.com` })).status).toBe(201);
    for (let i = 0; i < 2; i++) expect((await use(a, 'GET /v1/devices')).code).toBe('permission_denied');
    expect((await use(a, 'GET /v1/keys')).code).toBe('permission_denied');
    // Key B: a public key on a private operation, then disabled.
    for (let i = 0; i < 2; i++) expect((await use(b, 'GET /v1/technicians')).code).toBe('public_key_not_allowed');
    await api.change(b.id, 'disable');
    // Every probe is a counted call of the script: until the disable is everywhere it may still be a 403.
    await waitFor('the disable to reach the edge and technicians', async () =>
      (await use(b, 'GET /v1/technicians')).code === 'key_disabled' && (await use(b, 'GET /v1/technicians', technicians.url)).code === 'key_disabled');
    for (let i = 0; i < 3; i++) expect((await use(b, 'GET /v1/technicians')).code).toBe('key_disabled');
    const beforeLast = Date.now();
    expect((await use(a, 'GET /v1/technicians', technicians.url)).status).toBe(200);
    const afterLast = Date.now();

    await waitForExpectedUsage('usage of both keys to match the script', [a.id, b.id]);
    expect(await usageOf(a.id, 'minute')).toEqual(await usageOf(a.id, 'hour'));
    expect(await usageOf(b.id, 'day')).toEqual(await usageOf(b.id, 'hour'));

    const view = (await api.call('GET', `/v1/keys/${a.id}`)).body;
    const lastUsedAt = Date.parse(String(view['lastUsedAt']));
    expect(lastUsedAt).toBeGreaterThanOrEqual(beforeLast - 5);
    expect(lastUsedAt).toBeLessThanOrEqual(afterLast + 5);
    expect(view['lastUsedOperation']).toBe('GET /v1/technicians');
    expect(String(view['lastUsedAddress'])).toContain('127.0.0.1');
    const listed = (await api.call('GET', '/v1/keys?limit=100')).body['items'] as Record<string, unknown>[];
    expect(listed.find((k) => k['id'] === b.id)?.['lastUsedAt']).toEqual(expect.any(String));
    expect(JSON.stringify(await api.call('GET', `/v1/keys/${b.id}/usage`))).not.toContain(b.secret);

    // The edge and technicians restart: new sources, whose counts add to what the old ones reported.
    await platform.stop('edge');
    await platform.stop('technicians');
    await startEdgeAndTechnicians(SLOW);
    await waitForKeys(3);
    for (let i = 0; i < 2; i++) expect((await use(a, 'GET /v1/technicians')).status).toBe(200);
    expect((await use(a, 'GET /v1/devices')).code).toBe('permission_denied');
    expect((await use(b, 'GET /v1/technicians')).code).toBe('key_disabled');
    // A graceful stop publishes what was counted since the last flush (the interval is a minute here).
    await platform.stop('edge');
    await platform.stop('technicians');
    await waitForExpectedUsage('usage to include what was counted before the graceful stop', [a.id, b.id]);
  }, 240_000);

  it('answers the usage of a key of another account 404, and a bad range 400 problem+json', async () => {
    const other = await platform.bootstrapAdmin('acc_other_usage');
    await waitFor('the other account\'s admin key to reach keys', async () => (await call(keys.url, 'GET', '/v1/keys', { secret: other.secret })).status === 200, { timeoutMs: 30_000 });
    const foreign = await call(keys.url, 'GET', `/v1/keys/${admin.keyId}/usage`, { secret: other.secret });
    expect([foreign.status, foreign.code]).toEqual([404, 'key_not_found']);
    const missing = await api.call('GET', '/v1/keys/key_doesnotexist00000000/usage');
    expect([missing.status, missing.code]).toEqual([404, 'key_not_found']);
    const bad = await api.call('GET', `/v1/keys/${admin.keyId}/usage?granularity=second`);
    expect([bad.status, bad.code, bad.contentType?.startsWith('application/problem+json')]).toEqual([400, 'validation_failed', true]);
    const backwards = await api.call('GET', `/v1/keys/${admin.keyId}/usage?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z`);
    expect([backwards.status, backwards.code]).toEqual([400, 'invalid_usage_range']);
    const tooLong = await api.call('GET', `/v1/keys/${admin.keyId}/usage?granularity=minute&from=2026-11-01T00:00:00Z&to=2026-11-03T00:00:00Z`);
    expect([tooLong.status, tooLong.code]).toEqual([400, 'usage_range_too_long']);
  });
});

function sorted(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort(([x], [y]) => (x < y ? -1 : 1)));
}
