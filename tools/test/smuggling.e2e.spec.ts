import net from 'node:net';
import type { ServiceProcess } from '@keyward/testing';
import { accessLog as parseAccessLog, call, KeysApi, Platform, waitFor } from '@keyward/testing';

/**
 * Request smuggling through the edge, every service its own process, with raw sockets: a body on
 * a GET or DELETE carrying a second request, CL.TE and TE.CL framing, pipelined requests and
 * `Expect: 100-continue`. Every request the test sends carries its own X-Request-Id; the
 * services' access logs (one line per request, with its id) must show exactly the requests the
 * edge authorized and forwarded, once each, and never one the edge did not see. Then two
 * accounts' clients read their own technicians in >= 1,000 concurrent pairs while the attacks
 * keep coming: no answer ever reaches the wrong account.
 */
describe('request smuggling through the edge', () => {
  const platform = new Platform();
  let edge: ServiceProcess;
  let edgePort: number;
  let keyA: string;
  let keyB: string;
  /** Each account's technician: reading it by id answers an account-specific body cheaply. */
  const techOf: Record<string, string> = {};
  let seq = 0;
  const id = (what: string): string => `${what}-${++seq}`;

  beforeAll(async () => {
    const adminA = await platform.bootstrapAdmin('acc_smug_a');
    const adminB = await platform.bootstrapAdmin('acc_smug_b');
    const [keys, technicians, devices] = await Promise.all([
      platform.start('keys', { LOG_LEVEL: 'info' }),
      platform.start('technicians', { LOG_LEVEL: 'info' }),
      platform.start('devices', { LOG_LEVEL: 'info' }),
    ]);
    edge = await platform.start('edge', {
      KEYS_URL: keys.url, TECHNICIANS_URL: technicians.url, DEVICES_URL: devices.url,
      TICKETS_URL: 'http://127.0.0.1:1', SESSIONS_URL: 'http://127.0.0.1:1', LOG_LEVEL: 'info',
      // 2,000 concurrent requests at once: this spec proves isolation, not shedding, so the edge's
      // per-instance queue holds the whole burst (by default it answers the excess 503 overloaded).
      UPSTREAM_MAX_QUEUED: '4000', UPSTREAM_MAX_QUEUE_WAIT_MS: '30000',
    });
    edgePort = edge.port;
    const permissions = ['technicians:read', 'technicians:write', 'devices:read', 'devices:write'];
    const apiA = new KeysApi(edge.url, adminA);
    const apiB = new KeysApi(edge.url, adminB);
    await waitFor('both admin keys to work through the edge', async () =>
      (await apiA.call('GET', '/v1/keys')).status === 200 && (await apiB.call('GET', '/v1/keys')).status === 200, { timeoutMs: 30_000 });
    keyA = (await apiA.create({ name: 'client A', permissions })).secret;
    keyB = (await apiB.create({ name: 'client B', permissions })).secret;
    // Each account's answers are recognisable: its technicians are named after it.
    for (const [key, marker] of [[keyA, 'acct-A'], [keyB, 'acct-B']] as const) {
      const created = await waitFor(`the ${marker} key to work on technicians`, async () => {
        const reply = await call(edge.url, 'POST', '/v1/technicians', { secret: key, body: { name: `Tech ${marker}`, email: `${marker}@example.com` } });
        return reply.status === 201 ? reply : false;
      }, { timeoutMs: 30_000 });
      techOf[marker] = String(created.body['id']);
      await waitFor(`the ${marker} key to work on devices`, async () => (await call(edge.url, 'GET', '/v1/devices', { secret: key })).status === 200, { timeoutMs: 30_000 });
    }
  }, 300_000);

  afterAll(async () => {
    await platform.close();
  });

  /**
   * The access-log lines (JSON, context `http`) a process wrote since `from`, without the edge's
   * own health checks of its upstreams (GET /ready every second, docs/edge-balancing.md).
   */
  function accessLog(service: 'technicians' | 'devices' | 'edge', from: number): { id: string; method: string; path: string; status: number }[] {
    return parseAccessLog(platform.process(service).output().slice(from))
      .filter((l) => l.path !== '/ready')
      .map((l) => ({ id: l.reqId, method: l.method, path: l.path, status: l.status }));
  }

  /** Where each service's log stands once everything sent so far has been logged (a sentinel request reached it). */
  async function offsets(): Promise<{ technicians: number; devices: number }> {
    const from = { technicians: platform.process('technicians').output().length, devices: platform.process('devices').output().length };
    await settledLogs(from);
    return { technicians: platform.process('technicians').output().length, devices: platform.process('devices').output().length };
  }

  /**
   * Waits until a sentinel request sent after the attacks has reached both services' logs (what
   * the attacks caused is logged by then), then returns each service's lines since `from`.
   */
  async function settledLogs(from: { technicians: number; devices: number }): Promise<{ technicians: string[]; devices: string[] }> {
    const sentinels = { technicians: id('sentinel'), devices: id('sentinel') };
    expect((await call(edge.url, 'GET', '/v1/technicians', { secret: keyA, headers: { 'x-request-id': sentinels.technicians } })).status).toBe(200);
    expect((await call(edge.url, 'GET', '/v1/devices', { secret: keyA, headers: { 'x-request-id': sentinels.devices } })).status).toBe(200);
    await waitFor('the sentinels in the access logs', () =>
      accessLog('technicians', from.technicians).some((l) => l.id === sentinels.technicians)
      && accessLog('devices', from.devices).some((l) => l.id === sentinels.devices));
    return {
      technicians: accessLog('technicians', from.technicians).map((l) => l.id).filter((i) => i !== sentinels.technicians),
      devices: accessLog('devices', from.devices).map((l) => l.id).filter((i) => i !== sentinels.devices),
    };
  }

  /** A request the way an attacker writes one, embedded in another's body. */
  const inner = (method: string, path: string, key: string, requestId: string, extra = ''): string =>
    `${method} ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nX-Request-Id: ${requestId}\r\n${extra}\r\n`;
  const chunked = (data: string): string => `${Buffer.byteLength(data).toString(16)}\r\n${data}\r\n0\r\n\r\n`;

  interface Attack {
    readonly name: string;
    /** The ids of the requests the attacker hid from the edge. */
    readonly hidden: string[];
    readonly bytes: string;
  }

  function attacks(): Attack[] {
    const list: Attack[] = [];
    const add = (name: string, build: (outer: string, hidden: string) => string): void => {
      const outer = id(`outer-${name}`);
      const hidden = id(`hidden-${name}`);
      list.push({ name, hidden: [hidden], bytes: build(outer, hidden) });
    };
    add('chunked-get', (o, h) => `GET /v1/technicians HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${keyA}\r\nX-Request-Id: ${o}\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n`
      + chunked(inner('GET', '/v1/technicians', keyA, h, 'X-Forwarded-For: 10.9.9.9\r\n')));
    add('chunked-delete', (o, h) => `DELETE /v1/devices/dev_nothinghere000000 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${keyA}\r\nX-Request-Id: ${o}\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n`
      + chunked(inner('GET', '/v1/devices', keyA, h)));
    add('content-length-get', (o, h) => {
      const body = inner('GET', '/v1/technicians', keyA, h);
      return `GET /v1/technicians HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${keyA}\r\nX-Request-Id: ${o}\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    });
    add('cl-te', (o, h) => {
      const smuggled = inner('GET', '/v1/technicians', keyA, h);
      return `POST /v1/technicians HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${keyA}\r\nX-Request-Id: ${o}\r\nConnection: close\r\nContent-Type: application/json\r\n`
        + `Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`;
    });
    add('te-cl', (o, h) => {
      const smuggled = inner('GET', '/v1/technicians', keyA, h);
      const chunk = `${Buffer.byteLength(smuggled).toString(16)}\r\n${smuggled}\r\n0\r\n\r\n`;
      return `POST /v1/technicians HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${keyA}\r\nX-Request-Id: ${o}\r\nConnection: close\r\nContent-Type: application/json\r\n`
        + `Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n${chunk}`;
    });
    add('obfuscated-te', (o, h) => `GET /v1/technicians HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${keyA}\r\nX-Request-Id: ${o}\r\nConnection: close\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n`
      + chunked(inner('GET', '/v1/technicians', keyA, h)));
    return list;
  }

  it('refuses a body on GET and DELETE and ambiguous framing; no hidden request reaches a service', async () => {
    const from = await offsets();
    const answers: Record<string, string> = {};
    for (const attack of attacks()) {
      const reply = await exchange(edgePort, [attack.bytes]);
      answers[attack.name] = statuses(reply).join(',');
    }
    const logs = await settledLogs(from);
    // Refused at the edge; nothing of it forwarded: no outer request, no hidden one.
    expect({ answers, logs }).toEqual({
      answers: { 'chunked-get': '400', 'chunked-delete': '400', 'content-length-get': '400', 'cl-te': '400', 'te-cl': '400', 'obfuscated-te': '400' },
      logs: { technicians: [], devices: [] },
    });
  });

  it('answers pipelined requests in order, each forwarded exactly once', async () => {
    const from = await offsets();
    const ids = [id('pipe'), id('pipe'), id('pipe')];
    const get = (requestId: string, last: boolean): string =>
      `GET /v1/technicians HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${keyA}\r\nX-Request-Id: ${requestId}\r\n${last ? 'Connection: close\r\n' : ''}\r\n`;
    const reply = await exchange(edgePort, [ids.map((r, i) => get(r, i === ids.length - 1)).join('')]);
    expect(statuses(reply)).toEqual([200, 200, 200]);
    expect([...reply.matchAll(/x-request-id: (\S+)/gi)].map((m) => m[1])).toEqual(ids);
    const logs = await settledLogs(from);
    // Each once (the edge may forward them on different connections, so in any order).
    expect([...logs.technicians].sort()).toEqual([...ids].sort());
  });

  it('answers Expect: 100-continue and forwards the body once, as one request', async () => {
    const from = await offsets();
    const requestId = id('continue');
    const body = JSON.stringify({ name: 'Continued acct-A', email: `continued-${seq}@example.com` });
    const reply = await exchange(edgePort, [
      `POST /v1/technicians HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${keyA}\r\nX-Request-Id: ${requestId}\r\nContent-Type: application/json\r\n`
      + `Content-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`,
      body,
    ], { continueBeforeBody: true });
    expect(statuses(reply)).toEqual([100, 201]);
    const logs = await settledLogs(from);
    expect(logs.technicians).toEqual([requestId]);
  });

  it('never delivers an answer to the wrong account: 1,000 concurrent pairs of two accounts, mixed with the attacks', async () => {
    const from = await offsets();
    const started = Date.now();
    const PAIRS = 1_000;
    const CONCURRENCY = 24;
    const wrong: string[] = [];
    const failed: string[] = [];
    const forwarded: string[] = [];
    let next = 0;
    const read = async (key: string, mine: string, theirs: string): Promise<void> => {
      const requestId = id(`pair-${mine}`);
      let reply;
      try {
        reply = await call(edge.url, 'GET', `/v1/technicians/${techOf[mine] ?? ''}`, { secret: key, headers: { 'x-request-id': requestId } });
      } catch (e) {
        failed.push(`${requestId}: ${e instanceof Error ? `${e.message} ${String(e.cause)}` : String(e)}`);
        return;
      }
      forwarded.push(requestId);
      if (reply.status !== 200) failed.push(`${requestId}: ${reply.status} ${reply.text.slice(0, 120)}`);
      else if (!reply.text.includes(mine) || reply.text.includes(theirs)) wrong.push(`${requestId}: ${reply.text.slice(0, 200)}`);
    };
    const pairs = async (): Promise<void> => {
      while (next < PAIRS) {
        next++;
        await Promise.all([read(keyA, 'acct-A', 'acct-B'), read(keyB, 'acct-B', 'acct-A')]);
      }
    };
    let attacking = true;
    const attackStatuses: number[] = [];
    const attacker = async (): Promise<void> => {
      while (attacking) {
        for (const attack of attacks()) attackStatuses.push(...statuses(await exchange(edgePort, [attack.bytes])));
      }
    };
    const attackers = [attacker()];
    await Promise.all(Array.from({ length: CONCURRENCY }, pairs));
    attacking = false;
    await Promise.all(attackers);
    process.stderr.write(`[smuggling] ${2 * PAIRS} requests of two accounts and ${attackStatuses.length} attacks in ${Date.now() - started} ms\n`);

    expect({ wrong: wrong.length, failed: failed.length, examples: [...wrong.slice(0, 3), ...failed.slice(0, 3)] }).toEqual({ wrong: 0, failed: 0, examples: [] });
    expect(forwarded.length).toBe(2 * PAIRS);
    expect(attackStatuses.length).toBeGreaterThan(0);
    expect(new Set(attackStatuses)).toEqual(new Set([400]));
    const logs = await settledLogs(from);
    // Exactly the pairs' requests, each once; nothing else (no attack, no hidden request).
    expect(logs.devices).toEqual([]);
    expect(logs.technicians.length).toBe(forwarded.length);
    expect(new Set(logs.technicians)).toEqual(new Set(forwarded));
  }, 240_000);
});

/** Status codes of every HTTP/1.1 response in a raw answer, in order. */
function statuses(raw: string): number[] {
  return [...raw.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
}

/**
 * Writes raw bytes to the edge and returns everything it answered until it closes the connection
 * (bounded: 15 s). `continueBeforeBody` writes the second part only after a 100 Continue.
 */
function exchange(port: number, parts: readonly string[], { continueBeforeBody = false } = {}): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    let sent = 1;
    const socket = net.connect(port, '127.0.0.1', () => {
      if (continueBeforeBody) socket.write(parts[0] ?? '');
      else socket.write(parts.join(''));
    });
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      data += d;
      if (continueBeforeBody && sent < parts.length && data.includes('HTTP/1.1 100 Continue')) socket.write(parts[sent++] ?? '');
    });
    socket.on('close', () => resolve(data));
    // Whatever happened is in the answer (a refused connection too), for the assertions to show.
    socket.on('error', (e: NodeJS.ErrnoException) => resolve(`${data}[${e.code ?? e.message}]`));
    socket.setTimeout(15_000, () => {
      socket.destroy();
      resolve(data);
    });
  });
}
