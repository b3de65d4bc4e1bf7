import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import puppeteer from 'puppeteer-core';
import type { Browser } from 'puppeteer-core';
import type { AdminKey, CreatedKey, Reply, ServiceProcess } from '@keyward/testing';
import { call, createEventTopics, freePort, KeysApi, Platform, waitFor } from '@keyward/testing';

// Browser use of public keys and per-key rate limits, on the real platform: keys, tickets and
// sessions each their own process behind the edge, on real Kafka and FerretDB, and Debian's
// chromium driven by puppeteer-core. One platform for the file: its start-up is most of the cost.

const REPO_ROOT = resolve(__dirname, '../..');
const CHROMIUM = resolve(REPO_ROOT, 'tools/test/chromium.mjs');

/** The chromium binary, installed from the Debian packages when missing (tools/test/chromium.mjs). */
async function ensureChromium(): Promise<string> {
  const child = spawn(process.execPath, [CHROMIUM, 'ensure'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`chromium.mjs ensure exited ${String(code)}: ${err}`);
  return out.trim();
}

/**
 * The support widget a customer puts on its site: a page that, with the public key, creates a
 * deferred support request and then a session for it through the edge, and shows what happened.
 */
function widgetPage(edgeUrl: string, publicKey: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>widget</title></head><body><pre id="out"></pre><script>
const edge = ${JSON.stringify(edgeUrl)};
const key = ${JSON.stringify(publicKey)};
async function post(path, body) {
  const res = await fetch(edge + path, { method: 'POST', headers: { 'Authorization': 'Bearer ' + key, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json(), rateLimit: res.headers.get('RateLimit') };
}
window.result = (async () => {
  try {
    const ticket = await post('/v1/tickets', { requesterName: 'Grace', requesterEmail: 'grace@example.com', problemDescription: 'The printer driver crashes' });
    // The sessions service learns the ticket from Kafka a moment later (422 unknown_ticket until then).
    let session;
    for (let i = 0; i < 50; i++) {
      session = await post('/v1/sessions', { ticketId: ticket.body.id });
      if (session.status !== 422) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    return { ticket, session };
  } catch (e) {
    return { error: String(e) };
  }
})();
</script></body></html>`;
}

interface WidgetRun {
  readonly result: { ticket?: Reply & { rateLimit: string | null }; session?: Reply; error?: string };
  readonly console: readonly string[];
}

/** Serves the page `html()` gives at http://127.0.0.1:<port>/ (a site of its own: its own origin). */
async function serveSite(html: () => string): Promise<{ server: Server; origin: string }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('browser use of public keys and per-key rate limits, through the edge', () => {
  const platform = new Platform();
  let edge: ServiceProcess;
  let tickets: ServiceProcess;
  let keys: KeysApi;
  let browser: Browser | undefined;
  const sites: Server[] = [];

  beforeAll(async () => {
    const chromium = await ensureChromium();
    // Every topic first: sessions and tickets consume the topics of services not started here.
    await createEventTopics(platform.prefix);
    const [keysProc, ticketsProc] = await Promise.all([platform.start('keys'), platform.start('tickets')]);
    tickets = ticketsProc;
    await platform.start('sessions');
    // Technicians and devices are not running: a port nothing listens on.
    const down = `http://127.0.0.1:${await freePort()}`;
    edge = await platform.start('edge', { TECHNICIANS_URL: down, DEVICES_URL: down });
    const bootstrap: AdminKey = await platform.bootstrapAdmin('acc_browser');
    keys = new KeysApi(keysProc.url, bootstrap);
    browser = await puppeteer.launch({
      executablePath: chromium,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-background-networking', '--disable-extensions'],
    });
  }, 15 * 60_000);

  afterAll(async () => {
    await browser?.close();
    for (const s of sites) await new Promise((r) => s.close(r));
    await platform.close();
  }, 120_000);

  /** Waits until the edge and the services the widget calls know the key (a propagation bound). */
  async function untilKnown(key: CreatedKey, path: string, origin?: string): Promise<void> {
    await waitFor(`the edge and ${path}'s service to know ${key.id}`, async () => {
      const reply = await call(edge.url, 'POST', path, { secret: key.secret, body: {}, headers: origin ? { origin } : {} });
      return reply.code !== 'unknown_key' && reply.code !== 'authorization_unavailable';
    }, { timeoutMs: 20_000, intervalMs: 100 });
  }

  async function openWidget(origin: string, url: string): Promise<WidgetRun> {
    if (!browser) throw new Error('no browser');
    const page = await browser.newPage();
    const messages: string[] = [];
    page.on('console', (m) => { messages.push(m.text()); });
    try {
      await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
      // Evaluated in the page, where the widget script left its promise on `window`.
      const result = await page.evaluate('window.result') as WidgetRun['result'];
      return { result, console: messages };
    } finally {
      await page.close();
    }
  }

  describe('a public key restricted to one web origin', () => {
    let widget: CreatedKey;
    let home: { server: Server; origin: string };
    let elsewhere: { server: Server; origin: string };

    beforeAll(async () => {
      // Two sites serving the same page, two origins (their own ports); the key is for the first only.
      let page = '';
      home = await serveSite(() => page);
      elsewhere = await serveSite(() => page);
      sites.push(home.server, elsewhere.server);
      widget = await keys.create({ kind: 'public', name: 'Support widget', permissions: ['sessions:create', 'tickets:create'], allowedOrigins: [home.origin] });
      expect(widget.key['allowedOrigins']).toEqual([home.origin]);
      page = widgetPage(edge.url, widget.secret);
      await untilKnown(widget, '/v1/tickets', home.origin);
      await untilKnown(widget, '/v1/sessions', home.origin);
    }, 60_000);

    it('creates a ticket and a session from a page of its origin', async () => {
      const run = await openWidget(home.origin, `${home.origin}/`);
      expect(run.result.error).toBeUndefined();
      expect(run.result.ticket).toMatchObject({ status: 201, body: { status: 'open' } });
      expect(run.result.session).toMatchObject({ status: 201, body: { status: 'waiting' } });
      // The page could read the rate-limit state: the edge exposes the header to it.
      expect(run.result.ticket?.rateLimit).toMatch(/^"key";r=\d+;t=\d+$/);
    }, 90_000);

    it('is refused from a page of another origin, and the browser says it blocked the request by CORS', async () => {
      const run = await openWidget(elsewhere.origin, `${elsewhere.origin}/`);
      expect(run.result.error).toMatch(/Failed to fetch/);
      expect(run.console.join('\n')).toMatch(new RegExp(`from origin '${elsewhere.origin}' has been blocked by CORS policy`));
    }, 90_000);

    it('answers the preflight of its origin reflecting it, never *, with Vary: Origin and no credentials', async () => {
      const res = await fetch(`${edge.url}/v1/tickets`, {
        method: 'OPTIONS',
        headers: { origin: home.origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(home.origin);
      expect(res.headers.get('access-control-allow-methods')).toBe('POST');
      expect(res.headers.get('access-control-allow-headers')).toMatch(/authorization/);
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
      expect(res.headers.get('vary')).toMatch(/Origin/);
      // Another origin's preflight: refused, nothing reflected.
      const other = await fetch(`${edge.url}/v1/tickets`, { method: 'OPTIONS', headers: { origin: elsewhere.origin, 'access-control-request-method': 'POST' } });
      expect(other.status).toBe(403);
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      // A private route has no preflight unless the edge is configured for it: answered as before.
      const privateRoute = await fetch(`${edge.url}/v1/tickets`, { method: 'OPTIONS', headers: { origin: home.origin, 'access-control-request-method': 'GET' } });
      expect(privateRoute.status).toBe(405);
      expect(privateRoute.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('refuses a request from another origin, or with no Origin, 403 origin_not_allowed at the edge and at the service', async () => {
      const body = { requesterName: 'Mallory', requesterEmail: 'm@example.com', problemDescription: 'x' };
      const foreign = await call(edge.url, 'POST', '/v1/tickets', { secret: widget.secret, body, headers: { origin: elsewhere.origin } });
      expect(foreign).toMatchObject({ status: 403, code: 'origin_not_allowed' });
      expect((await call(edge.url, 'POST', '/v1/tickets', { secret: widget.secret, body })).code).toBe('origin_not_allowed');
      // The tickets service judges the same header itself (a caller that skips the edge gains nothing).
      expect((await call(tickets.url, 'POST', '/v1/tickets', { secret: widget.secret, body, headers: { origin: elsewhere.origin } })).code).toBe('origin_not_allowed');
      const own = await call(tickets.url, 'POST', '/v1/tickets', { secret: widget.secret, body, headers: { origin: home.origin } });
      expect(own.status).toBe(201);
    });

    it('answers a key without allowed origins as before: usable, but no CORS header for a browser', async () => {
      const plain = await keys.create({ kind: 'public', name: 'app key', permissions: ['tickets:create'] });
      await untilKnown(plain, '/v1/tickets');
      const res = await fetch(`${edge.url}/v1/tickets`, {
        method: 'POST',
        headers: { authorization: `Bearer ${plain.secret}`, 'content-type': 'application/json', origin: elsewhere.origin },
        body: JSON.stringify({ requesterName: 'Ada', requesterEmail: 'ada@example.com', problemDescription: 'y' }),
      });
      expect(res.status).toBe(201);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('a key with a rate limit', () => {
    /** GET /v1/tickets with a private key: read-only, so a burst changes nothing but the bucket. */
    const list = (secret: string): Promise<Response> => fetch(`${edge.url}/v1/tickets?limit=1`, { headers: { authorization: `Bearer ${secret}` } });

    async function burst(secret: string, n: number): Promise<Response[]> {
      const answers: Response[] = [];
      for (let i = 0; i < n; i++) answers.push(await list(secret));
      return answers;
    }

    it('answers a bounded burst above the limit 429 rate_limited with RateLimit headers and the right Retry-After; other keys are unaffected', async () => {
      // 6 a minute (one every 10 s), 3 at once.
      const limited = await keys.create({ permissions: ['tickets:read'], rateLimit: { requests: 6, windowSeconds: 60, burst: 3 } });
      expect(limited.key['rateLimit']).toEqual({ requests: 6, windowSeconds: 60, burst: 3 });
      const other = await keys.create({ permissions: ['tickets:read'], rateLimit: { requests: 6, windowSeconds: 60, burst: 3 } });
      // Refused probes (401 while the key is unknown) take no token; the one that passes takes one.
      await waitFor('the edge to know the limited key', async () => (await list(limited.secret)).status === 200, { timeoutMs: 20_000 });
      await waitFor('the edge to know the other key', async () => (await list(other.secret)).status === 200, { timeoutMs: 20_000 });
      // The probes above took one token of each; the burst takes the rest and then some.
      const answers = await burst(limited.secret, 8);
      const statuses = answers.map((r) => r.status);
      expect(statuses).toEqual([200, 200, 429, 429, 429, 429, 429, 429]);
      const refused = answers[2];
      if (!refused) throw new Error('no answer');
      const problem = await refused.json() as { code: string };
      expect(problem.code).toBe('rate_limited');
      expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(refused.headers.get('ratelimit-policy')).toBe('"key";q=6;w=60');
      expect(refused.headers.get('ratelimit')).toMatch(/^"key";r=0;t=(2\d|30)$/);
      // The next token is 10 s away (a request every 10 s on average): Retry-After says so.
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(9);
      expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(10);
      expect(answers[0]?.headers.get('ratelimit')).toMatch(/^"key";r=1;t=\d+$/);
      // Another key of the same account, at the same moment, is not held back.
      expect((await burst(other.secret, 2)).map((r) => r.status)).toEqual([200, 200]);
    });

    it('takes the new limit as soon as the key\'s limit changes (propagated from keys.events)', async () => {
      const key = await keys.create({ permissions: ['tickets:read'], rateLimit: { requests: 1, windowSeconds: 3600, burst: 2 } });
      await waitFor('the edge to know the key', async () => (await list(key.secret)).status === 200, { timeoutMs: 20_000 });
      expect((await burst(key.secret, 2)).map((r) => r.status)).toEqual([200, 429]);
      // Through the edge, as a key manager would (the route is in the edge's table).
      const changed = await waitFor('the edge to take the change', async () => {
        const r = await call(edge.url, 'PUT', `/v1/keys/${key.id}/rate-limit`, { secret: keys.admin.secret, body: { rateLimit: { requests: 60, windowSeconds: 60, burst: 10 } } });
        return r.code === 'unknown_key' ? false : r;
      }, { timeoutMs: 20_000 });
      expect(changed.status).toBe(200);
      expect(changed.body['rateLimit']).toEqual({ requests: 60, windowSeconds: 60, burst: 10 });
      // The larger bucket gains the difference (8 tokens) once the edge has applied the event.
      const first = await waitFor('the edge to apply the new limit', async () => {
        const r = await list(key.secret);
        return r.status === 200 ? r : false;
      }, { timeoutMs: 20_000, intervalMs: 50 });
      expect(first.headers.get('ratelimit-policy')).toBe('"key";q=60;w=60');
      const after = await burst(key.secret, 15);
      const admitted = after.filter((r) => r.status === 200).length;
      // 7 tokens left after `first`, plus what refilled at 1/s while the burst ran.
      expect(admitted).toBeGreaterThanOrEqual(7);
      expect(admitted).toBeLessThan(15);
      // And back down: a private key may also drop its limit altogether.
      expect((await keys.call('PUT', `/v1/keys/${key.id}/rate-limit`, { rateLimit: null })).body['rateLimit']).toBeNull();
      await waitFor('the edge to drop the limit', async () => (await list(key.secret)).headers.get('ratelimit-policy') === null, { timeoutMs: 20_000, intervalMs: 50 });
      expect((await burst(key.secret, 15)).every((r) => r.status === 200)).toBe(true);
    });

    it('is kept by the service too, as a backstop with twice the burst, for a caller that skips the edge', async () => {
      const key = await keys.create({ permissions: ['tickets:read'], rateLimit: { requests: 1, windowSeconds: 3600, burst: 2 } });
      const direct = (): Promise<Reply> => call(tickets.url, 'GET', '/v1/tickets?limit=1', { secret: key.secret });
      await waitFor('the tickets service to know the key', async () => (await direct()).status === 200, { timeoutMs: 20_000 });
      const codes: string[] = [];
      for (let i = 0; i < 5; i++) codes.push(String((await direct()).code ?? 'ok'));
      expect(codes).toEqual(['ok', 'ok', 'ok', 'rate_limited', 'rate_limited']);
    });

    it('refuses a public key without a limit and a limit out of bounds, 422', async () => {
      expect((await keys.call('POST', '/v1/keys', { kind: 'public', name: 'w', permissions: ['tickets:create'], rateLimit: null })).code).toBe('rate_limit_required');
      expect((await keys.call('POST', '/v1/keys', { kind: 'private', name: 'w', permissions: ['tickets:read'], rateLimit: { requests: 0, windowSeconds: 60 } })).code).toBe('invalid_rate_limit');
      expect((await keys.call('POST', '/v1/keys', { kind: 'public', name: 'w', permissions: ['tickets:create'], allowedOrigins: ['https://*.com'] })).code).toBe('invalid_origin');
    });
  });
});
