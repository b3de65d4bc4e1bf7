import { OutboxRelay } from '@keyward/event-store';
import { operatorCall, testServiceConfig, waitFor } from '@keyward/testing';
import { startKeysTestApp } from './testing/keys-test-app.spec-helper';

// Freshness is measured against the source: the key projection is current only as far as the keys
// relay's watermarks say it has applied everything the store held. A relay that stops publishing
// (here: stopped, with a revocation appended behind it) makes the guard fail safe after the bound,
// although the projection's consumer keeps fetching from a healthy broker all along.

const STALENESS_MS = 3_000;

describe('keys: a key projection is current only as far as the relay watermarks it has applied', () => {
  it('refuses (503) rather than accepts a key revoked in the store but not yet published, once the bound has passed; 401 once the relay publishes it', async () => {
    const app = await startKeysTestApp({ config: testServiceConfig('keys', { KEY_PROJECTION_MAX_STALENESS_MS: String(STALENESS_MS) }) });
    try {
      const created = await app.call('POST', '/v1/keys', { kind: 'private', name: 'to revoke', permissions: ['keys:read'] });
      expect(created.status).toBe(201);
      const keyId = (created.body['key'] as { id: string }).id;
      const secret = String(created.body['secret']);
      await waitFor('the new key to be accepted', async () => (await app.call('GET', '/v1/keys', undefined, secret)).status === 200, { timeoutMs: 20_000 });
      const before = await keyProjection(app.url);
      expect(before['watermarks']).toMatchObject({ mode: 'watermarks', consumer: 'running' });

      const relay = app.app.get(OutboxRelay);
      await relay.stop();
      expect((await app.call('POST', `/v1/keys/${keyId}/revoke`, {})).status).toBe(200);
      const revokedAt = Date.now();

      const answers: { at: number; answer: string }[] = [];
      await waitFor('the revoked key to be refused with 503 authorization_unavailable', async () => {
        const r = await app.call('GET', '/v1/keys', undefined, secret);
        answers.push({ at: Date.now() - revokedAt, answer: `${r.status} ${String(r.body['code'] ?? '')}`.trim() });
        return r.status === 503 && r.body['code'] === 'authorization_unavailable';
      }, { timeoutMs: STALENESS_MS + 5_000, intervalMs: 100 });
      const refusedAfterMs = answers[answers.length - 1]?.at ?? -1;
      // The consumer itself is healthy and fetching: only the source's silence makes it stale.
      const during = await keyProjection(app.url);
      expect(during['consumer']).toBe('running');
      expect(Date.now() - Date.parse(String(during['lastFetchAt']))).toBeLessThan(2_000);
      expect(answers.filter((a) => a.answer !== '200' && a.answer !== '503 authorization_unavailable')).toEqual([]);
      expect(refusedAfterMs).toBeLessThanOrEqual(STALENESS_MS + 2_000);

      relay.start();
      await waitFor('the revocation to be published and applied', async () => {
        const r = await app.call('GET', '/v1/keys', undefined, secret);
        return r.status === 401 && r.body['code'] === 'key_revoked';
      }, { timeoutMs: 10_000, intervalMs: 100 });
      // Current again: other keys are served.
      expect((await app.call('GET', '/v1/keys')).status).toBe(200);
      console.log(`revoked key refused (503) ${refusedAfterMs} ms after its revoke with the relay stopped (bound ${STALENESS_MS} ms)`);
    } finally {
      await app.close();
    }
  }, 60_000);
});

async function keyProjection(url: string): Promise<Record<string, unknown>> {
  const reply = await operatorCall(url, 'GET', '/admin/projections');
  const list = reply.body['projections'];
  const found = Array.isArray(list) ? list.find((p: unknown) => typeof p === 'object' && p !== null && (p as Record<string, unknown>)['name'] === 'keys') : undefined;
  if (typeof found !== 'object' || found === null) throw new Error(`no key projection in /admin/projections: ${JSON.stringify(reply.body)}`);
  return found as Record<string, unknown>;
}
