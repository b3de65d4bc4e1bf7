import { performance } from 'node:perf_hooks';
import type { ServiceName } from '@keyward/contracts';
import { generateToken, SERVICE_NAMES, SERVICES } from '@keyward/contracts';
import type { AdminKey, Reply, ServiceProcess } from '@keyward/testing';
import { call, guarded, Platform, startServiceProcess, stopServiceProcesses, TEST_OPERATOR_TOKEN, testName, waitUntilKnown } from '@keyward/testing';

// The operator routes (/admin/*, /metrics) belong to the platform, not to an account: on the edge
// and every service (each its own process) only an OPERATOR_TOKENS token opens them. Everyone else
// (no credential, an account's admin key holding every permission there is, a wrong token) gets
// the very 404 an unknown path gets, so the routes cannot even be told apart from absent ones.

/** A second token, as during a rotation: both are accepted while the platform holds both. */
const NEXT_TOKEN = 'next-operator-token-abcdefghijklmnopqrstuvwxyz';

interface OperatorRoute {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: Record<string, unknown>;
  /** What the operator gets on `service`. */
  readonly granted: (service: ServiceName) => { status: number; code?: string };
}

const ROUTES: readonly OperatorRoute[] = [
  { method: 'GET', path: '/admin/projections', granted: () => ({ status: 200 }) },
  { method: 'POST', path: '/admin/projections/keys/rebuild', granted: () => ({ status: 202 }) },
  { method: 'GET', path: '/admin/projections/keys/rebuild', granted: () => ({ status: 200 }) },
  // The edge owns no aggregates: past the guard, the operator learns it has no event store.
  { method: 'POST', path: '/admin/event-store/republish', body: { fromPosition: 0 }, granted: (s) => (SERVICES[s].topic ? { status: 202 } : { status: 404, code: 'no_event_store' }) },
  { method: 'GET', path: '/admin/projections/keys/applied/key_nobody', granted: () => ({ status: 200 }) },
  { method: 'GET', path: '/metrics', granted: () => ({ status: 200 }) },
];

function send(url: string, route: OperatorRoute, headers: Record<string, string>): Promise<Reply> {
  return call(url, route.method, route.path, { headers, ...(route.body ? { body: route.body } : {}) });
}

/** The problem+json answer, without what differs by path (the detail names the path, as Nest's does). */
function refusal(reply: Reply): Record<string, unknown> {
  return { status: reply.status, contentType: reply.contentType, body: reply.body };
}

describe('operator routes are the platform\'s: OPERATOR_TOKENS only, 404 to everyone else', () => {
  const platform = new Platform();
  const env = { OPERATOR_TOKENS: `${TEST_OPERATOR_TOKEN}, ${NEXT_TOKEN}` };
  let admin: AdminKey;
  let unset: ServiceProcess | undefined;

  beforeAll(async () => {
    admin = await platform.bootstrapAdmin('acc_operator_routes');
    await platform.start('keys', env);
    // Two at a time: six start-ups at once on a shared two-core machine only make each slower.
    const others = SERVICE_NAMES.filter((s) => s !== 'keys');
    for (let i = 0; i < others.length; i += 2) await Promise.all(others.slice(i, i + 2).map((s) => platform.start(s, env)));
    // The admin key holds every permission of the catalog and works on every service ...
    for (const s of SERVICE_NAMES) expect(`${s} ${(await waitUntilKnown(platform.process(s), admin.secret, 'the admin key', 30_000)).status}`).toBe(`${s} 200`);
  }, 300_000);

  afterAll(async () => {
    if (unset) await stopServiceProcesses([unset]);
    await platform.close();
  });

  const refusedCredentials = (): [string, Record<string, string>][] => [
    ['no credential', {}],
    ['the account\'s admin key', { authorization: `Bearer ${admin.secret}` }],
    ['the account\'s admin key in X-API-Key', { 'x-api-key': admin.secret }],
    ['a wrong token', { authorization: `Bearer ${'w'.repeat(TEST_OPERATOR_TOKEN.length)}` }],
    ['the operator token with a character changed', { authorization: `Bearer ${TEST_OPERATOR_TOKEN.slice(0, -1)}X` }],
    ['a prefix of the operator token', { authorization: `Bearer ${TEST_OPERATOR_TOKEN.slice(0, 32)}` }],
    ['the operator token under another scheme', { authorization: `Basic ${TEST_OPERATOR_TOKEN}` }],
    ['an unknown key', { authorization: `Bearer ${generateToken('private')}` }],
  ];

  it.each(SERVICE_NAMES.map((s) => [s]))('%s: answers every refused caller exactly as it answers a path it does not have', async (service: ServiceName) => {
    const { url } = platform.process(service);
    for (const route of ROUTES) {
      // What the service says for a path it does not have, asked the same way.
      const unknownPath = `${route.path}-nothing-here`;
      const absent = await call(url, route.method, unknownPath, route.body ? { body: route.body } : {});
      expect(absent.status).toBe(404);
      for (const [who, headers] of refusedCredentials()) {
        const reply = await send(url, route, headers);
        expect({ service, route: `${route.method} ${route.path}`, who, ...refusal(reply) }).toEqual({
          service, route: `${route.method} ${route.path}`, who,
          ...refusal({ ...absent, body: { ...absent.body, detail: `Cannot ${route.method} ${route.path}`, instance: route.path } }),
        });
        expect(reply.body['code']).toBe('not_found');
        expect(reply.contentType).toMatch(/^application\/problem\+json/);
      }
    }
  });

  it.each(SERVICE_NAMES.map((s) => [s]))('%s: opens every operator route to either configured operator token', async (service: ServiceName) => {
    const { url } = platform.process(service);
    for (const [i, route] of ROUTES.entries()) {
      // Alternating tokens: a token being rotated in works as well as the one being rotated out.
      const token = i % 2 === 0 ? TEST_OPERATOR_TOKEN : NEXT_TOKEN;
      const reply = await send(url, route, { authorization: `Bearer ${token}` });
      const expected = route.granted(service);
      expect({ service, route: `${route.method} ${route.path}`, status: reply.status, code: reply.code })
        .toEqual({ service, route: `${route.method} ${route.path}`, status: expected.status, code: expected.code });
    }
    const metrics = await call(url, 'GET', '/metrics', { secret: TEST_OPERATOR_TOKEN });
    expect(metrics.text).toMatch(/^projection_lag_events\{projection="keys"\} \d+$/m);
  });

  it('tells an operator when each service applied a key\'s change: a long poll answers once the disable is applied, and the key is refused there', async () => {
    const keys = platform.process('keys');
    const created = await call(keys.url, 'POST', '/v1/keys', { secret: admin.secret, body: { kind: 'private', name: 'applied-change probe', permissions: ['devices:read'] } });
    expect(created.status).toBe(201);
    const key = created.body['key'] as { id: string; version: number };
    const secret = created.body['secret'] as string;
    const path = `/admin/projections/keys/applied/${key.id}`;
    for (const s of SERVICE_NAMES) await waitUntilKnown(platform.process(s), secret, 'the probe key', 30_000);

    // Version 1 is held everywhere; version 2 is not yet: asked without waiting, it says so at once.
    for (const s of SERVICE_NAMES) {
      const now = await call(platform.process(s).url, 'GET', `${path}?version=2`, { secret: TEST_OPERATOR_TOKEN });
      expect({ s, status: now.status, applied: now.body['applied'], version: now.body['version'] }).toEqual({ s, status: 200, applied: false, version: 1 });
    }
    // Long polls on all six, then the disable: each answers with its own apply of version 2.
    const polls = SERVICE_NAMES.map((s) => call(platform.process(s).url, 'GET', `${path}?version=2&waitMs=20000`, { secret: TEST_OPERATOR_TOKEN }));
    const before = performance.timeOrigin + performance.now();
    const disabled = await call(keys.url, 'POST', `/v1/keys/${key.id}/disable`, { secret: admin.secret, body: { reason: 'applied-change probe' } });
    expect(disabled.status).toBe(200);
    const answers = await Promise.all(polls);
    for (const [i, reply] of answers.entries()) {
      const change = reply.body['change'] as { type: string; version: number; appliedAtMs: number; lagMs: number } | null;
      expect({ s: SERVICE_NAMES[i], status: reply.status, applied: reply.body['applied'], version: reply.body['version'], type: change?.type, changeVersion: change?.version })
        .toEqual({ s: SERVICE_NAMES[i], status: 200, applied: true, version: 2, type: 'KeyDisabled', changeVersion: 2 });
      // Applied after the disable was asked for (give or take the two processes' clocks, a few ms at most on one
      // machine), and a lag that is a duration, not a clock error.
      expect(change?.appliedAtMs).toBeGreaterThan(before - 20);
      expect(change?.lagMs).toBeGreaterThanOrEqual(-5);
    }
    // What the route says applied, the service enforces.
    for (const s of SERVICE_NAMES) {
      const probe = await guarded(platform.process(s), secret);
      expect({ s, status: probe.status, code: probe.code }).toEqual({ s, status: 401, code: 'key_disabled' });
    }
    // A poll whose version never comes answers applied: false once its wait is over.
    const waited = await call(keys.url, 'GET', `${path}?version=9&waitMs=200`, { secret: TEST_OPERATOR_TOKEN });
    expect({ status: waited.status, applied: waited.body['applied'], version: waited.body['version'] }).toEqual({ status: 200, applied: false, version: 2 });
    // Bad input gets a problem, not a wait: unknown properties, a wait past the bound, a version that is not a number.
    for (const query of ['?version=2&since=1', '?waitMs=30001', '?waitMs=-1', '?version=two', '?version=0', '?version=1&version=2']) {
      const bad = await call(keys.url, 'GET', `${path}${query}`, { secret: TEST_OPERATOR_TOKEN });
      expect({ query, status: bad.status, code: bad.code }).toEqual({ query, status: 400, code: 'validation_failed' });
    }
    for (const id of ['not-an-id', `key_${'a'.repeat(65)}`, 'KEY_abcdef', 'key_abc']) {
      const bad = await call(keys.url, 'GET', `/admin/projections/keys/applied/${id}`, { secret: TEST_OPERATOR_TOKEN });
      expect({ id, status: bad.status, code: bad.code }).toEqual({ id, status: 400, code: 'invalid_aggregate_id' });
    }
    const unknown = await call(keys.url, 'GET', `/admin/projections/nothing/applied/${key.id}`, { secret: TEST_OPERATOR_TOKEN });
    expect({ status: unknown.status, code: unknown.code }).toEqual({ status: 404, code: 'unknown_projection' });
    // The keys read model is written by the keys service's own event store: nothing consumed, no applies to tell.
    const own = await call(keys.url, 'GET', `/admin/projections/key_views/applied/${key.id}`, { secret: TEST_OPERATOR_TOKEN });
    expect({ status: own.status, code: own.code }).toEqual({ status: 404, code: 'not_consumed' });
  }, 120_000);

  it('answers 404 to everyone, operators too, on a service started without OPERATOR_TOKENS, and says so once at start', async () => {
    unset = await startServiceProcess('technicians', {
      env: { ...platform.env('technicians'), OPERATOR_TOKENS: '', LOG_LEVEL: 'info', KEY_PROJECTION_GROUP_ID: `${platform.prefix}unset-operator` },
      database: testName('technicians_unset'),
    });
    for (const route of ROUTES) {
      const callers: Record<string, string>[] = [{ authorization: `Bearer ${TEST_OPERATOR_TOKEN}` }, { authorization: `Bearer ${admin.secret}` }, {}];
      for (const headers of callers) {
        const reply = await send(unset.url, route, headers);
        expect({ route: route.path, status: reply.status, code: reply.code }).toEqual({ route: route.path, status: 404, code: 'not_found' });
      }
    }
    expect(unset.output().match(/OPERATOR_TOKENS is not set/g)).toHaveLength(1);
  });

  it('refuses to start with an operator token shorter than 32 characters, and does not print it', async () => {
    const short = 'short-operator-token';
    await expect(startServiceProcess('technicians', {
      env: { ...platform.env('technicians'), OPERATOR_TOKENS: `${TEST_OPERATOR_TOKEN},${short}` }, database: testName('technicians_short'), readyTimeoutMs: 30_000,
    })).rejects.toThrow(/OPERATOR_TOKENS entry 2 must be at least 32 printable ASCII characters/);
    // (The rejection carries the process output; the token itself must not be in it.)
    await startServiceProcess('technicians', {
      env: { ...platform.env('technicians'), OPERATOR_TOKENS: short }, database: testName('technicians_short'), readyTimeoutMs: 30_000,
    }).then(() => { throw new Error('started with a short token'); }, (e: unknown) => {
      expect(String(e)).not.toContain(short);
    });
  });
});
