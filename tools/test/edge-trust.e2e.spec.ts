import net from 'node:net';
import type { ServiceProcess } from '@keyward/testing';
import { accessLog, call, edgeSignedHeaders, KeysApi, Platform, TEST_EDGE_SIGNING_SECRET, waitFor } from '@keyward/testing';

/**
 * What the edge asserts and who believes it, and the edge's answers to unusual requests, every
 * service its own process: a service believes a client address only under the edge's valid, fresh
 * signature (a forged X-Forwarded-For, a bad signature or a replayed one is judged by the socket
 * address); services throttle authentication failures as the edge does; HEAD works for every GET
 * route; a slow body is 408; path variants are 404 on both sides; the edge listens on IPv6 too.
 */
describe('edge trust and edge input', () => {
  const platform = new Platform();
  let admin: Awaited<ReturnType<Platform['bootstrapAdmin']>>;
  let api: KeysApi;
  let edge: ServiceProcess;
  let technicians: ServiceProcess;
  let devices: ServiceProcess;
  let reader: string;
  let technicianId: string;
  let seq = 0;

  beforeAll(async () => {
    admin = await platform.bootstrapAdmin('acc_trust');
    const keys = await platform.start('keys');
    [technicians, devices] = await Promise.all([
      platform.start('technicians', { LOG_LEVEL: 'info' }),
      // Its throttle is what one spec below exercises; nothing else here sends it a bad key.
      platform.start('devices', { AUTH_FAILURE_LIMIT: '5', AUTH_FAILURE_WINDOW_MS: '60000' }),
    ]);
    edge = await platform.start('edge', {
      KEYS_URL: keys.url, TECHNICIANS_URL: technicians.url, DEVICES_URL: devices.url,
      TICKETS_URL: 'http://127.0.0.1:1', SESSIONS_URL: 'http://127.0.0.1:1',
      HOST: '127.0.0.1,::1', CLIENT_BODY_TIMEOUT_MS: '1000', UPSTREAM_TIMEOUT_MS: '8000', LOG_LEVEL: 'info',
    });
    api = new KeysApi(edge.url, admin);
    await waitFor('the admin key to work through the edge', async () => (await api.call('GET', '/v1/keys')).status === 200, { timeoutMs: 30_000 });
    reader = (await api.create({ name: 'reader', permissions: ['technicians:read', 'technicians:write', 'devices:read'] })).secret;
    const created = await waitFor('the reader key to work', async () => {
      const reply = await call(edge.url, 'POST', '/v1/technicians', { secret: reader, body: { name: 'Trusted Tech', email: 'trusted@example.com' } });
      return reply.status === 201 ? reply : false;
    }, { timeoutMs: 30_000 });
    technicianId = String(created.body['id']);
  }, 300_000);

  afterAll(async () => {
    await platform.close();
  });

  /** A key that works only from `ip`, once the technicians service knows it (it answers 403, not 401). */
  async function keyOnlyFor(ip: string): Promise<string> {
    const key = (await api.create({ name: `only ${ip}`, permissions: ['technicians:read'], allowedIps: [ip] })).secret;
    await waitFor('the restricted key to reach technicians', async () => (await call(technicians.url, 'GET', '/v1/technicians', { secret: key })).code === 'ip_not_allowed', { timeoutMs: 30_000 });
    return key;
  }

  const signed = (target: string, clientIp: string, timestampMs = Date.now(), secret = TEST_EDGE_SIGNING_SECRET): Record<string, string> =>
    edgeSignedHeaders({ method: 'GET', target, requestId: `trust-${++seq}`, clientIp }, timestampMs, secret);

  describe('a service believes only what the edge signed', () => {
    const forged = '203.0.113.77';
    let key: string;

    beforeAll(async () => {
      key = await keyOnlyFor(forged);
    }, 60_000);

    it('judges a forged X-Forwarded-For without a signature by the socket address', async () => {
      const reply = await call(technicians.url, 'GET', '/v1/technicians', { secret: key, headers: { 'x-forwarded-for': forged } });
      expect([reply.status, reply.code]).toEqual([403, 'ip_not_allowed']);
    });

    it('judges a bad signature, or one made with another secret, by the socket address', async () => {
      const bad = { ...signed('/v1/technicians', forged), 'x-edge-signature': 'A'.repeat(43) };
      expect((await call(technicians.url, 'GET', '/v1/technicians', { secret: key, headers: bad })).code).toBe('ip_not_allowed');
      const otherSecret = signed('/v1/technicians', forged, Date.now(), 'x'.repeat(40));
      expect((await call(technicians.url, 'GET', '/v1/technicians', { secret: key, headers: otherSecret })).code).toBe('ip_not_allowed');
    });

    it('refuses a replayed signature outside the window, and one moved to another request', async () => {
      const stale = signed('/v1/technicians', forged, Date.now() - 31_000);
      expect((await call(technicians.url, 'GET', '/v1/technicians', { secret: key, headers: stale })).code).toBe('ip_not_allowed');
      const future = signed('/v1/technicians', forged, Date.now() + 31_000);
      expect((await call(technicians.url, 'GET', '/v1/technicians', { secret: key, headers: future })).code).toBe('ip_not_allowed');
      const forList = signed('/v1/technicians', forged);
      expect((await call(technicians.url, 'GET', `/v1/technicians/${technicianId}`, { secret: key, headers: forList })).code).toBe('ip_not_allowed');
    });

    it('believes the address under a valid, fresh signature (the check is real)', async () => {
      const reply = await call(technicians.url, 'GET', '/v1/technicians', { secret: key, headers: signed('/v1/technicians', forged) });
      expect(reply.status).toBe(200);
    });

    it('through the edge, a client cannot claim the address either', async () => {
      const reply = await call(edge.url, 'GET', '/v1/technicians', { secret: key, headers: { 'x-forwarded-for': forged, ...signed('/v1/technicians', forged) } });
      expect([reply.status, reply.code]).toEqual([403, 'ip_not_allowed']);
    });
  });

  it('throttles authentication failures at a service per (signed) client address, with 429 and Retry-After', async () => {
    const bad = 'kw_sk_' + 'A'.repeat(49);
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 7; i++) {
      const res = await fetch(`${devices.url}/v1/devices`, { headers: { authorization: `Bearer ${bad}`, ...signed('/v1/devices', '192.0.2.50') } });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
      await res.text();
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    // Another address is not held back.
    const other = await call(devices.url, 'GET', '/v1/devices', { secret: bad, headers: signed('/v1/devices', '192.0.2.51') });
    expect(other.status).toBe(401);
  });

  describe('HEAD', () => {
    it('is answered for GET routes, forwarded as HEAD, without a body', async () => {
      const before = technicians.output().length;
      const list = await fetch(`${edge.url}/v1/technicians`, { method: 'HEAD', headers: { authorization: `Bearer ${reader}`, 'x-request-id': 'head-list-1' } });
      expect(list.status).toBe(200);
      expect(list.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await list.text()).toBe('');
      const one = await fetch(`${edge.url}/v1/technicians/${technicianId}`, { method: 'HEAD', headers: { authorization: `Bearer ${reader}` } });
      expect(one.status).toBe(200);
      const missing = await fetch(`${edge.url}/v1/technicians/tech_doesnotexist00000`, { method: 'HEAD', headers: { authorization: `Bearer ${reader}` } });
      expect(missing.status).toBe(404);
      await waitFor('the HEAD in the technicians log', () => accessLog(technicians.output().slice(before))
        .some((l) => l.reqId === 'head-list-1' && l.method === 'HEAD' && l.path === '/v1/technicians' && l.status === 200));
    });

    it('is authorized like the GET it stands for, and 405 where there is no GET', async () => {
      expect((await fetch(`${edge.url}/v1/technicians`, { method: 'HEAD' })).status).toBe(401);
      const post = await fetch(`${edge.url}/v1/sessions`, { method: 'HEAD', headers: { authorization: `Bearer ${reader}` } });
      expect(post.status).toBe(405);
      expect(post.headers.get('allow')).toContain('POST');
    });
  });

  describe('a slow client body', () => {
    it('answers 408 request_timeout (not 504) when the body stops coming, by Content-Length or chunked', async () => {
      for (const [framing, start] of [
        ['content-length', 'Content-Length: 60\r\n\r\n{"name":"slow'],
        ['chunked', 'Transfer-Encoding: chunked\r\n\r\n5\r\n{"nam\r\n'],
      ] as const) {
        const t = Date.now();
        const raw = await rawExchange(edge.port, '127.0.0.1',
          `POST /v1/technicians HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${reader}\r\nContent-Type: application/json\r\n${start}`);
        expect([framing, raw.split('\r\n', 1)[0]]).toEqual([framing, 'HTTP/1.1 408 Request Timeout']);
        expect(raw).toContain('"code":"request_timeout"');
        expect(Date.now() - t).toBeLessThan(7_000);
      }
    });
  });

  describe('path variants', () => {
    const variants = ['//v1/technicians', '/v1//technicians', '/v1/technicians/', '/V1/technicians', '/v1/Technicians', '/v1/./technicians',
      '/v1/x/../technicians', '/v1/technicians%2F', '/v1/%74echnicians', '/v1\\technicians', '/v1/technicians/.'];

    it.each(variants)('%s is 404 at the edge and is not forwarded', async (path) => {
      const before = technicians.output().length;
      const raw = await rawExchange(edge.port, '127.0.0.1', `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${reader}\r\nConnection: close\r\n\r\n`);
      expect(raw.split('\r\n', 1)[0]).toBe('HTTP/1.1 404 Not Found');
      expect(raw).toMatch(/"code":"(route_not_found|not_found)"/);
      const direct = await rawExchange(technicians.port, '127.0.0.1', `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${reader}\r\nConnection: close\r\n\r\n`);
      // The service decides the same way when called directly.
      expect(direct.split('\r\n', 1)[0]).toBe('HTTP/1.1 404 Not Found');
      // Nothing answered 200 meanwhile but the edge's own health checks of its upstreams (GET /ready).
      expect(accessLog(technicians.output().slice(before)).filter((l) => l.status === 200 && l.path !== '/ready')).toEqual([]);
    });

    it('the canonical form works on both sides, with a query string', async () => {
      expect((await call(edge.url, 'GET', '/v1/technicians?limit=1', { secret: reader })).status).toBe(200);
      expect((await call(technicians.url, 'GET', '/v1/technicians?limit=1', { secret: reader })).status).toBe(200);
    });
  });

  describe('IPv6', () => {
    it('a key allowed only for ::1 works via [::1] and is refused via 127.0.0.1', async () => {
      const key = (await api.create({ name: 'ipv6 only', permissions: ['technicians:read'], allowedIps: ['::1'] })).secret;
      const v6 = `http://[::1]:${edge.port}`;
      await waitFor('the IPv6-only key to work via [::1]', async () => (await call(v6, 'GET', '/v1/technicians', { secret: key })).status === 200, { timeoutMs: 30_000 });
      const v4 = await call(edge.url, 'GET', '/v1/technicians', { secret: key });
      expect([v4.status, v4.code]).toEqual([403, 'ip_not_allowed']);
    });
  });
});

/** Writes raw bytes to host:port and returns what came back until the peer closed (bounded: 10 s). */
function rawExchange(port: number, host: string, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    const socket = net.connect(port, host, () => socket.write(bytes));
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => { data += d; });
    socket.on('close', () => resolve(data));
    socket.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? resolve(data) : reject(e)));
    socket.setTimeout(10_000, () => {
      socket.destroy();
      resolve(data);
    });
  });
}
