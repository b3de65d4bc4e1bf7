import type { ServiceName } from '@keyward/contracts';
import { isPublicSafe, PUBLIC_ROUTES } from '@keyward/contracts';
import type { ServiceProcess } from '@keyward/testing';
import { call, KeysApi, Platform, waitFor } from '@keyward/testing';

/**
 * The seed's split, end to end through the edge with every service its own process: a public
 * key can create a session and a deferred support request and nothing else; a private key can
 * read session history and use every Technician and Device method.
 */
describe('public and private keys, as the seed describes them, through the edge', () => {
  const platform = new Platform();
  let edge: ServiceProcess;
  let publicKey: string;
  let privateKey: string;

  beforeAll(async () => {
    const admin = await platform.bootstrapAdmin('acc_seed');
    const urls: Partial<Record<ServiceName, string>> = {};
    for (const pair of [['keys', 'sessions'], ['tickets', 'technicians'], ['devices']] as ServiceName[][]) {
      await Promise.all(pair.map(async (s) => { urls[s] = (await platform.start(s, { TRUSTED_PROXIES: '127.0.0.1' })).url; }));
    }
    edge = await platform.start('edge', {
      KEYS_URL: urls.keys ?? '', SESSIONS_URL: urls.sessions ?? '', TICKETS_URL: urls.tickets ?? '',
      TECHNICIANS_URL: urls.technicians ?? '', DEVICES_URL: urls.devices ?? '',
    });
    const api = new KeysApi(edge.url, admin);
    await waitFor('the admin key to work through the edge', async () => (await api.call('GET', '/v1/keys')).status === 200, { timeoutMs: 30_000 });
    publicKey = (await api.create({ kind: 'public', name: 'widget', permissions: ['sessions:create', 'tickets:create'] })).secret;
    privateKey = (await api.create({
      kind: 'private', name: 'backend',
      permissions: ['sessions:history:read', 'technicians:read', 'technicians:write', 'devices:read', 'devices:write'],
    })).secret;
    await waitFor('both keys to reach the edge and the services', async () =>
      (await call(edge.url, 'GET', '/v1/sessions/history', { secret: privateKey })).status === 200
      && (await call(edge.url, 'POST', '/v1/tickets', { secret: publicKey, body: {} })).status === 400, { timeoutMs: 30_000 });
  }, 300_000);

  afterAll(async () => {
    await platform.close();
  });

  it('lets a public key create a deferred support request and a session, answering only their id, reference or code and status', async () => {
    const ticket = await call(edge.url, 'POST', '/v1/tickets', {
      secret: publicKey, body: { requesterName: 'Grace', requesterEmail: 'grace@example.com', problemDescription: 'It does not start' },
    });
    expect(ticket.status).toBe(201);
    expect(Object.keys(ticket.body).sort()).toEqual(['id', 'reference', 'status']);
    const session = await call(edge.url, 'POST', '/v1/sessions', { secret: publicKey, body: {} });
    expect(session.status).toBe(201);
    expect(Object.keys(session.body).sort()).toEqual(['code', 'id', 'status']);
  });

  it.each(PUBLIC_ROUTES.filter((r) => !isPublicSafe(r.permission)).map((r) => [r.method, r.path]))(
    'refuses a public key on %s %s with 403 public_key_not_allowed',
    async (method, path) => {
      const concrete = path.replace(/:(\w+)/g, (_m, name: string) => `${name.replace(/Id$/, '').slice(0, 4)}_abcdefgh`);
      const reply = await call(edge.url, method, concrete, { secret: publicKey, ...(method === 'GET' || method === 'DELETE' ? {} : { body: {} }) });
      expect([reply.status, reply.code]).toEqual([403, 'public_key_not_allowed']);
    },
  );

  it('lets a private key read the session history', async () => {
    const history = await call(edge.url, 'GET', '/v1/sessions/history?limit=5', { secret: privateKey });
    expect(history.status).toBe(200);
    expect(Array.isArray(history.body['items'])).toBe(true);
  });

  it('lets a private key use every Technician API method', async () => {
    const created = await call(edge.url, 'POST', '/v1/technicians', { secret: privateKey, body: { name: 'Ada', email: 'ada@example.com' } });
    expect(created.status).toBe(201);
    const id = String(created.body['id']);
    expect((await call(edge.url, 'GET', `/v1/technicians/${id}`, { secret: privateKey })).status).toBe(200);
    expect((await call(edge.url, 'GET', '/v1/technicians', { secret: privateKey })).status).toBe(200);
    expect((await call(edge.url, 'PATCH', `/v1/technicians/${id}`, { secret: privateKey, body: { name: 'Ada L.' } })).body['name']).toBe('Ada L.');
    expect((await call(edge.url, 'POST', `/v1/technicians/${id}/deactivate`, { secret: privateKey, body: {} })).body['status']).toBe('deactivated');
  });

  it('lets a private key use every Device API method', async () => {
    const created = await call(edge.url, 'POST', '/v1/devices', { secret: privateKey, body: { name: 'Laptop', os: 'linux', hostname: 'lap-1' } });
    expect(created.status).toBe(201);
    const id = String(created.body['id']);
    expect((await call(edge.url, 'GET', `/v1/devices/${id}`, { secret: privateKey })).status).toBe(200);
    expect((await call(edge.url, 'GET', '/v1/devices', { secret: privateKey })).status).toBe(200);
    expect((await call(edge.url, 'PATCH', `/v1/devices/${id}`, { secret: privateKey, body: { name: 'Laptop 2' } })).body['name']).toBe('Laptop 2');
    expect((await call(edge.url, 'DELETE', `/v1/devices/${id}`, { secret: privateKey })).body['status']).toBe('removed');
  });
});
