import { operatorCall, rebuildProjection } from '@keyward/testing';
import type { KeyViews } from './application/api-key.aggregate';
import { KEY_VIEWS } from './application/api-key.aggregate';
import type { KeysTestApp } from './testing/keys-test-app.spec-helper';
import { startKeysTestApp } from './testing/keys-test-app.spec-helper';

// The keys read model (`key_views`) is on the shared view store: an operator rebuilds it from the
// event store through /admin/projections like every other service's, and a rebuild repairs views
// lost or damaged in the database.

type Json = Record<string, unknown>;

async function rebuild(app: KeysTestApp): Promise<Json> {
  const job = await rebuildProjection(app.url, 'key_views');
  expect(job['state']).toBe('succeeded');
  return job['result'] as Json;
}

/**
 * The account's keys as listed, without their last use: the calls of the test itself use the admin
 * key, and its last use (from the usage read model, not the key's view) moves on meanwhile.
 */
async function listed(app: KeysTestApp): Promise<Json[]> {
  const reply = await app.call('GET', '/v1/keys?limit=100');
  expect(reply.status).toBe(200);
  return (reply.body['items'] as Json[]).map(({ lastUsedAt: _at, lastUsedOperation: _op, lastUsedAddress: _address, ...key }) => key);
}

describe('keys: the key read model is rebuildable by operators', () => {
  let app: KeysTestApp;

  beforeAll(async () => {
    app = await startKeysTestApp();
  });

  afterAll(async () => {
    await app.close();
  });

  it('is listed with the projections, and a rebuild replays the store into views equal to the live ones', async () => {
    const names = ((await operatorCall(app.url, 'GET', '/admin/projections')).body['projections'] as Json[]).map((p) => p['name']);
    expect(names).toEqual(expect.arrayContaining(['keys', 'key_views']));

    const ids: string[] = [];
    for (const name of ['rebuilt one', 'rebuilt two', 'rebuilt three']) {
      const made = await app.call('POST', '/v1/keys', { kind: 'private', name, permissions: ['devices:read'], rateLimit: { requests: 10, windowSeconds: 60 } });
      expect(made.status).toBe(201);
      ids.push(String((made.body['key'] as Json)['id']));
    }
    const [a, b, c] = ids;
    expect((await app.call('POST', `/v1/keys/${a}/disable`, { reason: 'rebuild' })).status).toBe(200);
    expect((await app.call('POST', `/v1/keys/${b}/rotate`, { gracePeriodSeconds: 600 })).status).toBe(200);
    expect((await app.call('PUT', `/v1/keys/${b}/rate-limit`, { rateLimit: null })).status).toBe(200);
    expect((await app.call('POST', `/v1/keys/${c}/revoke`, {})).status).toBe(200);
    const before = await listed(app);
    expect(before.map((k) => k['id'])).toEqual(expect.arrayContaining(ids));

    const result = await rebuild(app);
    // Three keys and the admin key, each folded from its stream exactly as the commands left it.
    expect(result).toMatchObject({ matchedLive: true, gaps: 0, items: 4 });
    expect(await listed(app)).toEqual(before);
  });

  it('brings back a view lost from the database and repairs a damaged one', async () => {
    const made = await app.call('POST', '/v1/keys', { kind: 'private', name: 'to lose', permissions: ['devices:read'] });
    const lost = String((made.body['key'] as Json)['id']);
    const damagedKey = await app.call('POST', '/v1/keys', { kind: 'private', name: 'to damage', permissions: ['devices:read'] });
    const damaged = String((damagedKey.body['key'] as Json)['id']);
    const before = await listed(app);

    const views = app.app.get<KeyViews>(KEY_VIEWS).collection;
    await views.deleteOne({ _id: lost });
    await views.updateOne({ _id: damaged }, { $set: { name: 'tampered', status: 'revoked' } });
    expect((await app.call('GET', `/v1/keys/${lost}`)).status).toBe(404);
    expect((await app.call('GET', `/v1/keys/${damaged}`)).body['status']).toBe('revoked');

    const result = await rebuild(app);
    expect(result).toMatchObject({ matchedLive: false, gaps: 0 });
    expect((await app.call('GET', `/v1/keys/${lost}`)).body).toMatchObject({ id: lost, name: 'to lose', status: 'active' });
    expect((await app.call('GET', `/v1/keys/${damaged}`)).body).toMatchObject({ id: damaged, name: 'to damage', status: 'active' });
    expect(await listed(app)).toEqual(before);
  });
});
