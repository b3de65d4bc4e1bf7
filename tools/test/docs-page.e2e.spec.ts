import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { PUBLIC_ROUTES } from '@keyward/contracts';
import type { ServiceProcess } from '@keyward/testing';
import { freePort, startServiceProcess, stopServiceProcesses, testName } from '@keyward/testing';

// A real browser opens the edge's API reference (GET /docs) and sees the operations rendered.
// Only the edge and the keys service run: the edge documents the keys API from the keys service's
// own /openapi.json, and the four services it cannot reach (their URLs point at a port nothing
// listens on) from the route table, so what the page holds is the same on every run.

const REPO_ROOT = resolve(__dirname, '../..');
const CHROMIUM = resolve(REPO_ROOT, 'tools/test/chromium.mjs');

async function node(args: readonly string[], timeoutMs: number): Promise<string> {
  const child = spawn(process.execPath, [...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`node ${args.join(' ')} exited ${String(code)}:\n${err}`);
  return out;
}

/** The HTML-escaped form of a text, as it appears in a dumped DOM. */
const html = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

describe('the API reference page', () => {
  const prefix = `${testName('docs')}.`;
  const running: ServiceProcess[] = [];
  let edge: ServiceProcess;

  beforeAll(async () => {
    // Chromium comes from the machine's Debian packages (no npm browser download): the helper
    // installs it with apt-get when /usr/bin/chromium is missing, hence the long bound, once per machine.
    await node([CHROMIUM, 'ensure'], 15 * 60_000);
    const env = { KAFKA_TOPIC_PREFIX: prefix };
    const keys = await startServiceProcess('keys', { env, database: testName('keys'), readyTimeoutMs: 120_000 });
    running.push(keys);
    // A port the OS just handed out and took back: nothing listens there, so those services are down.
    const down = `http://127.0.0.1:${await freePort()}`;
    edge = await startServiceProcess('edge', {
      env: { ...env, KEYS_URL: keys.url, SESSIONS_URL: down, TICKETS_URL: down, TECHNICIANS_URL: down, DEVICES_URL: down },
      database: testName('edge'),
      readyTimeoutMs: 120_000,
    });
    running.push(edge);
  }, 16 * 60_000);

  afterAll(async () => {
    await stopServiceProcesses(running);
  }, 120_000);

  it('serves Swagger UI and its assets', async () => {
    const page = await fetch(`${edge.url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('/docs/swagger-ui-bundle.js');
    const bundle = await fetch(`${edge.url}/docs/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toMatch(/javascript/);
    expect((await bundle.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
    const outside = await fetch(`${edge.url}/docs/package.json`);
    expect(outside.status).toBe(404);
  });

  it('holds the keys service\'s own description and the route table\'s for the services that are down', async () => {
    const res = await fetch(`${edge.url}/openapi.json`);
    expect(res.status).toBe(200);
    const document = await res.json() as { 'x-keyward-sources': Record<string, { state: string }>; paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>> };
    expect(Object.fromEntries(Object.entries(document['x-keyward-sources']).map(([s, v]) => [s, v.state])))
      .toEqual({ keys: 'live', sessions: 'unavailable', tickets: 'unavailable', technicians: 'unavailable', devices: 'unavailable' });
    // From the keys service's ListKeysQueryDto, which only its own document knows.
    expect(document.paths['/v1/keys']?.['get']?.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual(['query:kind', 'query:status', 'query:limit', 'query:cursor']);
  });

  it('shows every operation in a browser, with its method, path and summary', async () => {
    const dom = await node([CHROMIUM, 'dump-dom', `${edge.url}/docs`, '15000'], 180_000);

    expect(dom).toContain('Keyward API');
    // Swagger UI renders one `opblock` per operation: the keys API from the keys service's
    // document, the others from the route table while their services are down.
    const rendered = [...dom.matchAll(/class="opblock opblock-(\w+)[^"]*"[\s\S]*?data-path="([^"]+)"/g)].map((m) => `${(m[1] ?? '').toUpperCase()} ${m[2] ?? ''}`);
    const expected = PUBLIC_ROUTES.map((r) => `${r.method} ${r.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`);
    expect(rendered.sort()).toEqual([...expected].sort());
    for (const route of PUBLIC_ROUTES.filter((r) => r.service === 'keys' || r.service === 'sessions')) {
      expect(dom).toContain(`>${html(route.summary)}<`);
    }
    // The edge says which services it could not reach, on the page itself.
    expect(dom).toContain('Incomplete right now');
  }, 240_000);
});
