import net from 'node:net';
import type { ServiceProcess } from '@keyward/testing';
import { call, KeysApi, Platform, waitFor, waitUntilKnown } from '@keyward/testing';
import type { AdminKey } from '@keyward/testing';

/**
 * The edge as the one front door, every service its own process: keys are checked before a
 * request is forwarded, client addresses cannot be spoofed, request ids travel, a stopped or
 * hanging service answers 502/504 in bounded time, oversize input is refused, and repeated bad
 * keys are throttled without slowing down a valid key.
 */
describe('the edge', () => {
  const platform = new Platform();
  let admin: AdminKey;
  let api: KeysApi;
  let edge: ServiceProcess;
  let blackHole: net.Server;
  const held: net.Socket[] = [];
  /** Ticket creations the hanging "tickets service" received. */
  let ticketPosts = 0;

  beforeAll(async () => {
    admin = await platform.bootstrapAdmin('acc_edge');
    const keys = await platform.start('keys', { TRUSTED_PROXIES: '127.0.0.1', LOG_LEVEL: 'info' });
    const technicians = await platform.start('technicians', { TRUSTED_PROXIES: '127.0.0.1' });
    const devices = await platform.start('devices', { TRUSTED_PROXIES: '127.0.0.1' });
    // A "tickets service" that accepts connections and never answers: the edge must time out.
    blackHole = net.createServer((socket) => {
      held.push(socket);
      socket.on('data', (d: Buffer) => { if (d.toString('latin1').startsWith('POST /v1/tickets')) ticketPosts++; });
    });
    await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', () => r()));
    const hole = blackHole.address() as net.AddressInfo;
    edge = await platform.start('edge', {
      KEYS_URL: keys.url, TECHNICIANS_URL: technicians.url, DEVICES_URL: devices.url,
      TICKETS_URL: `http://127.0.0.1:${hole.port}`, SESSIONS_URL: 'http://127.0.0.1:1',
      UPSTREAM_TIMEOUT_MS: '1500', AUTH_FAILURE_LIMIT: '30', AUTH_FAILURE_WINDOW_MS: '60000', LOG_LEVEL: 'info',
      // A small bound per upstream instance, so that the hanging tickets service reaches it.
      UPSTREAM_MAX_IN_FLIGHT: '4', UPSTREAM_MAX_QUEUED: '2', UPSTREAM_MAX_QUEUE_WAIT_MS: '50',
    });
    api = new KeysApi(edge.url, admin);
    await waitFor('the admin key to work through the edge', async () => (await api.call('GET', '/v1/keys')).status === 200, { timeoutMs: 30_000 });
  }, 300_000);

  afterAll(async () => {
    for (const s of held) s.destroy();
    await new Promise((r) => blackHole?.close(r));
    await platform.close();
  });

  /**
   * A new key, once the edge and every service behind it know it: the edge checks a key with its
   * own projection and the service checks it again with its own, so a key the edge knows can still
   * be unknown for a moment to the service it forwards to (a busy run failed exactly so: 401 from
   * devices right after the edge knew the key).
   */
  async function created(body: Record<string, unknown>) {
    const key = await api.create(body);
    await waitFor('the new key to reach the edge', async () => (await call(edge.url, 'GET', '/v1/technicians', { secret: key.secret })).code !== 'unknown_key');
    // The services its permissions reach that run here (tickets and sessions are stand-ins).
    const permissions = Array.isArray(body['permissions']) ? body['permissions'].map(String) : [];
    const reached = (['keys', 'technicians', 'devices'] as const).filter((s) => permissions.some((p) => p.startsWith(`${s}:`)));
    for (const service of reached) await waitUntilKnown(platform.process(service), key.secret, 'the new key');
    return key;
  }

  it('forwards an authorized request to the owning service and answers what it answered', async () => {
    const reply = await api.call('POST', '/v1/keys', { kind: 'public', name: 'widget', permissions: ['sessions:create'] });
    expect(reply.status).toBe(201);
    expect(typeof reply.body['secret']).toBe('string');
  });

  it('stops a bad key at the edge: the service never sees it', async () => {
    const before = platform.process('technicians').output().length;
    const reply = await call(edge.url, 'GET', '/v1/technicians', { secret: 'kw_sk_not-a-key' });
    expect(reply.status).toBe(401);
    expect(reply.code).toBe('malformed_key');
    expect(reply.contentType).toMatch(/^application\/problem\+json/);
    expect(platform.process('technicians').output().slice(before)).not.toContain('/v1/technicians');
  });

  it('refuses a missing permission and a public key on a private operation before forwarding', async () => {
    const reader = await created({ permissions: ['devices:read'] });
    expect((await call(edge.url, 'POST', '/v1/technicians', { secret: reader.secret, body: { name: 'x', email: 'x@example.com' } })).code).toBe('permission_denied');
    const publicKey = await api.create({ kind: 'public', permissions: ['sessions:create'] });
    await waitFor('the public key to reach the edge', async () => (await call(edge.url, 'GET', '/v1/devices', { secret: publicKey.secret })).code !== 'unknown_key');
    expect((await call(edge.url, 'GET', '/v1/devices', { secret: publicKey.secret })).code).toBe('public_key_not_allowed');
  });

  it('takes a disable and a rotation into account', async () => {
    const key = await created({ permissions: ['technicians:read'] });
    await api.change(key.id, 'disable');
    await waitFor('the disable to reach the edge', async () => (await call(edge.url, 'GET', '/v1/technicians', { secret: key.secret })).code === 'key_disabled');
    await api.change(key.id, 'enable');
    const rotated = await api.rotate(key.id, 0);
    await waitFor('the rotation to reach the edge', async () =>
      (await call(edge.url, 'GET', '/v1/technicians', { secret: key.secret })).code === 'unknown_key'
      && (await call(edge.url, 'GET', '/v1/technicians', { secret: rotated.secret })).status === 200);
  });

  it('uses the socket address, not a spoofed X-Forwarded-For, for IP restrictions', async () => {
    const office = await api.create({ permissions: ['technicians:read'], allowedIps: ['10.1.0.0/16'] });
    await waitFor('the restricted key to reach the edge', async () => (await call(edge.url, 'GET', '/v1/technicians', { secret: office.secret })).code === 'ip_not_allowed');
    const spoofed = await call(edge.url, 'GET', '/v1/technicians', { secret: office.secret, headers: { 'x-forwarded-for': '10.1.2.3' } });
    expect(spoofed.code).toBe('ip_not_allowed');
    const local = await api.create({ permissions: ['technicians:read'], allowedIps: ['127.0.0.1'] });
    await waitFor('the loopback-only key to work', async () => (await call(edge.url, 'GET', '/v1/technicians', { secret: local.secret, headers: { 'x-forwarded-for': '10.9.9.9' } })).status === 200);
  });

  it('keeps a well-formed request id, makes one otherwise, and hands it to the service', async () => {
    const kept = await fetch(`${edge.url}/v1/keys?limit=1`, { headers: { authorization: `Bearer ${admin.secret}`, 'x-request-id': 'trace-4711.abc' } });
    expect(kept.headers.get('x-request-id')).toBe('trace-4711.abc');
    await waitFor('the keys service to log the request id', () => platform.process('keys').output().includes('trace-4711.abc'));
    const replaced = await fetch(`${edge.url}/v1/keys?limit=1`, { headers: { authorization: `Bearer ${admin.secret}`, 'x-request-id': 'bad id with spaces' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(edge.output()).toContain('trace-4711.abc');
  });

  it('answers 502 in bounded time when a service is down, and 504 when it does not answer', async () => {
    const reader = await created({ permissions: ['sessions:read', 'tickets:read'] });
    let t = Date.now();
    const down = await call(edge.url, 'GET', '/v1/sessions/ses_abcdef', { secret: reader.secret });
    expect(down.status).toBe(502);
    expect(down.code).toBe('upstream_unavailable');
    expect(Date.now() - t).toBeLessThan(5_000);
    t = Date.now();
    const hung = await call(edge.url, 'GET', '/v1/tickets', { secret: reader.secret });
    expect(hung.status).toBe(504);
    expect(hung.code).toBe('upstream_timeout');
    expect(Date.now() - t).toBeLessThan(10_000);
  });

  it('sheds requests past its bound per upstream instance with a fast 503 overloaded and Retry-After, bodies included, and keeps serving the others', async () => {
    const writer = await created({ permissions: ['tickets:create', 'tickets:read', 'technicians:read'] });
    const ticket = JSON.stringify({ requesterName: 'Ada', requesterEmail: 'ada@example.com', problemDescription: 'overload' });
    const send = async (method: 'GET' | 'POST'): Promise<{ status: number; code: unknown; retryAfter: string | null; ms: number }> => {
      const started = Date.now();
      const res = await fetch(`${edge.url}/v1/tickets`, {
        method, headers: { authorization: `Bearer ${writer.secret}`, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) }, ...(method === 'POST' ? { body: ticket } : {}),
      });
      const body = (await res.json()) as Record<string, unknown>;
      return { status: res.status, code: body['code'], retryAfter: res.headers.get('retry-after'), ms: Date.now() - started };
    };
    // In flight to the hanging tickets instance up to its bound: UPSTREAM_MAX_IN_FLIGHT=4, or 3 once
    // the 504 of the test above shrank the adaptive limit by a quarter.
    const postsBefore = ticketPosts;
    const held = Array.from({ length: 4 }, () => send('POST'));
    await waitFor('tickets requests held by the hanging service', () => ticketPosts - postsBefore >= 3, { timeoutMs: 10_000 });
    const refusals = await Promise.all(Array.from({ length: 10 }, (_, i) => send(i % 2 === 0 ? 'POST' : 'GET')));
    // Another service is not held back by the hanging one.
    const other = await call(edge.url, 'GET', '/v1/technicians', { secret: writer.secret });
    const answers = await Promise.all(held);
    console.log(`past the bound: ${JSON.stringify(refusals)}; the held ones: ${JSON.stringify(answers)}`);
    for (const r of refusals) expect(r).toMatchObject({ status: 503, code: 'overloaded', retryAfter: '1' });
    expect(Math.max(...refusals.map((r) => r.ms))).toBeLessThan(1_000);
    const reached = ticketPosts - postsBefore;
    expect(reached === 3 || reached === 4).toBe(true);
    expect(other.status).toBe(200);
    // The ones it took waited for the service, as before: 504 after UPSTREAM_TIMEOUT_MS; one past a limit of 3 was refused.
    expect(answers.filter((r) => r.code === 'upstream_timeout')).toHaveLength(reached);
    expect(answers.filter((r) => r.code !== 'upstream_timeout').map((r) => r.code)).toEqual(reached === 4 ? [] : ['overloaded']);
  }, 60_000);

  it('answers 502 for a service stopped while the edge runs', async () => {
    const reader = await created({ permissions: ['devices:read'] });
    expect((await call(edge.url, 'GET', '/v1/devices', { secret: reader.secret })).status).toBe(200);
    await platform.stop('devices');
    const reply = await call(edge.url, 'GET', '/v1/devices', { secret: reader.secret });
    expect(reply.status).toBe(502);
    expect(reply.code).toBe('upstream_unavailable');
  });

  it('refuses an oversize body with 413 and oversize headers with 431', async () => {
    const big = await fetch(`${edge.url}/v1/keys`, {
      method: 'POST', headers: { authorization: `Bearer ${admin.secret}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x'.repeat(200_000) }),
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { code: string }).code).toBe('payload_too_large');
    const headers = await rawRequest(edge.url, `GET /v1/keys HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(headers).toMatch(/^HTTP\/1\.1 431/);
    expect(headers).toContain('"code":"headers_too_large"');
  });

  // Last: it uses up this address's failure allowance for the rest of the window.
  it('throttles repeated bad keys from one address with 429 and Retry-After while a valid key keeps working', async () => {
    const valid = await created({ permissions: ['technicians:read'] });
    const bad = 'kw_sk_' + 'A'.repeat(49);
    const answers: number[] = [];
    for (let i = 0; i < 40; i++) {
      const [badReply, goodReply] = await Promise.all([
        fetch(`${edge.url}/v1/technicians`, { headers: { authorization: `Bearer ${bad}` } }),
        call(edge.url, 'GET', '/v1/technicians', { secret: valid.secret }),
      ]);
      answers.push(badReply.status);
      if (badReply.status === 429) expect(Number(badReply.headers.get('retry-after'))).toBeGreaterThan(0);
      await badReply.text();
      expect(goodReply.status).toBe(200);
    }
    expect(answers).toContain(401);
    expect(answers.slice(-3)).toEqual([429, 429, 429]);
  });
});

/** Sends raw bytes (headers too large for fetch to build) and returns the raw answer. */
function rawRequest(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(request));
    let data = '';
    socket.on('data', (d) => { data += d.toString(); });
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
    socket.setTimeout(10_000, () => { socket.destroy(); resolve(data); });
  });
}
