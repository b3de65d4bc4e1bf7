import { MongoEventStore } from '@keyward/event-store';
import { startKeysTestApp } from './testing/keys-test-app.spec-helper';
import type { KeysTestApp } from './testing/keys-test-app.spec-helper';

describe('keys service under concurrent commands', () => {
  let app: KeysTestApp;

  beforeAll(async () => {
    app = await startKeysTestApp();
  });

  afterAll(async () => {
    await app.close();
  });

  it('lets one of many simultaneous conflicting commands on a key win per version; the others get 409 concurrent_modification', async () => {
    const created = await app.call('POST', '/v1/keys', { kind: 'private', name: 'contended', permissions: ['devices:read'] });
    expect(created.status).toBe(201);
    const keyId = (created.body['key'] as { id: string }).id;

    const sets = [['devices:read'], ['devices:write'], ['technicians:read'], ['technicians:write'], ['tickets:read'], ['tickets:write'],
      ['sessions:read'], ['sessions:write'], ['keys:read'], ['sessions:history:read']].map((p) => [...p, 'devices:read'].sort());
    const answers = await Promise.all(sets.map((permissions) => app.call('PUT', `/v1/keys/${keyId}/permissions`, { permissions })));

    const statuses = answers.map((a) => a.status);
    expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
    const conflicts = answers.filter((a) => a.status === 409);
    expect(conflicts.length).toBeGreaterThan(0);
    for (const c of conflicts) expect(c.body['code']).toBe('concurrent_modification');

    // The stream has exactly one event per winner, with no gap and no duplicate version.
    const events = await app.app.get(MongoEventStore).readStream(keyId);
    const winners = answers.filter((a) => a.status === 200 && (a.body['version'] as number) > 1);
    expect(events.map((e) => e.version)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
    expect(events.length).toBe(1 + new Set(winners.map((w) => w.body['version'])).size);

    // The key ends as the last winner left it.
    const last = events[events.length - 1]!;
    const now = await app.call('GET', `/v1/keys/${keyId}`);
    expect(now.body['version']).toBe(last.version);
    expect(now.body['permissions']).toEqual((last.data as { permissions?: string[] }).permissions ?? ['devices:read']);
  });

  it('answers a retried command against the new version normally after a conflict', async () => {
    const created = await app.call('POST', '/v1/keys', { kind: 'private', name: 'retry', permissions: ['devices:read'] });
    const keyId = (created.body['key'] as { id: string }).id;
    const [a, b] = await Promise.all([
      app.call('POST', `/v1/keys/${keyId}/disable`, { reason: 'a' }),
      app.call('POST', `/v1/keys/${keyId}/revoke`, { reason: 'b' }),
    ]);
    const lost = [a!, b!].find((r) => r.status === 409);
    if (lost) {
      const retried = lost === a ? await app.call('POST', `/v1/keys/${keyId}/disable`, {}) : await app.call('POST', `/v1/keys/${keyId}/revoke`, {});
      expect([200, 409]).toContain(retried.status);
      if (retried.status === 409) expect(retried.body['code']).toBe('key_revoked');
    }
    const versions = (await app.app.get(MongoEventStore).readStream(keyId)).map((e) => e.version);
    expect(versions).toEqual(Array.from({ length: versions.length }, (_, i) => i + 1));
  });
});
