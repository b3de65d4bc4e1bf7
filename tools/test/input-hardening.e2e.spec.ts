import { ALL_PERMISSIONS } from '@keyward/contracts';
import type { Reply, UpstreamName, WholePlatform } from '@keyward/testing';
import { call, KeysApi, startWholePlatform, waitFor, waitUntilEveryServiceKnows } from '@keyward/testing';

// What a client can send that must never reach a 5xx, on the whole platform (every service its
// own process, the edge in front, real Kafka and FerretDB): JSON nested 10,000 levels deep (400
// json_too_deep, through the edge and straight at each service), names and free text with control
// characters, bidi overrides or lone surrogates (422 invalid_text), and references to another
// account's device, ticket or technician (422 unknown_…, exactly like one that does not exist).

const TENANT_PERMISSIONS = ALL_PERMISSIONS;

function expectProblem(reply: Reply, status: number, code: string, what = ''): void {
  expect({ what, status: reply.status, code: reply.code }).toEqual({ what, status, code });
  expect(reply.contentType).toMatch(/^application\/problem\+json/);
}

/** One POST route of each service that parses a body. */
const BODY_ROUTES: Readonly<Record<UpstreamName, string>> = {
  keys: '/v1/keys', sessions: '/v1/sessions', tickets: '/v1/tickets', technicians: '/v1/technicians', devices: '/v1/devices',
};

describe('input hardening on the whole platform', () => {
  let whole: WholePlatform;
  /** Every tenant permission, account A and account B. */
  let a: string;
  let b: string;
  const edge = (): string => whole.edge.url;
  const asA = (method: string, path: string, body?: unknown): Promise<Reply> => call(edge(), method, path, { secret: a, ...(body !== undefined ? { body } : {}) });
  const asB = (method: string, path: string, body?: unknown): Promise<Reply> => call(edge(), method, path, { secret: b, ...(body !== undefined ? { body } : {}) });
  const created = async (reply: Promise<Reply>, what: string): Promise<string> => {
    const r = await reply;
    if (r.status !== 201) throw new Error(`${what} answered ${r.status} ${r.text}`);
    return String(r.body['id']);
  };

  beforeAll(async () => {
    whole = await startWholePlatform();
    const adminB = await whole.platform.bootstrapAdmin('acc_other');
    a = (await new KeysApi(edge(), whole.admin).create({ kind: 'private', name: 'hardening A', permissions: TENANT_PERMISSIONS })).secret;
    b = (await new KeysApi(edge(), adminB).create({ kind: 'private', name: 'hardening B', permissions: TENANT_PERMISSIONS })).secret;
    await waitUntilEveryServiceKnows(edge(), a);
    await waitUntilEveryServiceKnows(edge(), b);
  }, 420_000);

  afterAll(async () => {
    await whole?.platform.close();
  }, 120_000);

  describe('JSON nested 10,000 levels deep', () => {
    const bodies: readonly [string, string][] = [
      ['arrays', '['.repeat(10_000) + ']'.repeat(10_000)],
      ['objects', '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000)],
      ['unterminated arrays', '['.repeat(10_000)],
    ];

    it.each(bodies)('answers 400 json_too_deep to %s on every service, through the edge and directly', async (_what, body) => {
      for (const [service, path] of Object.entries(BODY_ROUTES)) {
        expectProblem(await call(edge(), 'POST', path, { secret: a, body }), 400, 'json_too_deep', `${service} through the edge`);
        const direct = whole.services.get(service as UpstreamName)?.url ?? '';
        expectProblem(await call(direct, 'POST', path, { secret: a, body }), 400, 'json_too_deep', `${service} directly`);
      }
    });

    it('still takes a body nested as deep as the limit, and refuses one level more', async () => {
      const at = (depth: number): string => `{"name":"deep","email":"deep@example.com","x":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
      // 32 levels are parsed (and refused by validation, x is unknown); 33 are not parsed at all.
      expectProblem(await asA('POST', '/v1/technicians', at(32)), 400, 'validation_failed');
      expectProblem(await asA('POST', '/v1/technicians', at(33)), 400, 'json_too_deep');
    });
  });

  describe('names and free text', () => {
    const UNSAFE: readonly [string, string][] = [
      ['NUL', 'a\u0000b'], ['BEL', 'a\u0007b'], ['ESC', 'a\u001b[31mb'], ['DEL', 'a\u007fb'], ['C1 NEL', 'a\u0085b'],
      ['RLO', 'a\u202eb'], ['LRE', 'a\u202ab'], ['RLI', 'a\u2067b'], ['PDI', 'a\u2069b'], ['lone high surrogate', 'a\ud800b'], ['lone low surrogate', 'a\udc00b'],
    ];
    const SINGLE_LINE_ONLY: readonly [string, string][] = [['tab', 'a\tb'], ['line feed', 'a\nb'], ['carriage return', 'a\rb']];

    /** Per service, a request with one text field set to `text`, and whether that field is multi-line. */
    const FIELDS: readonly { service: UpstreamName; field: string; multiline: boolean; request: (text: string) => [string, string, unknown] }[] = [
      { service: 'keys', field: 'name', multiline: false, request: (t) => ['POST', '/v1/keys', { kind: 'private', name: t, permissions: ['devices:read'] }] },
      { service: 'technicians', field: 'name', multiline: false, request: (t) => ['POST', '/v1/technicians', { name: t, email: 'text@example.com' }] },
      { service: 'devices', field: 'name', multiline: false, request: (t) => ['POST', '/v1/devices', { name: t, os: 'linux', hostname: 'h1' }] },
      { service: 'devices', field: 'hostname', multiline: false, request: (t) => ['POST', '/v1/devices', { name: 'pc', os: 'linux', hostname: t }] },
      { service: 'devices', field: 'tags', multiline: false, request: (t) => ['POST', '/v1/devices', { name: 'pc', os: 'linux', hostname: 'h1', tags: ['ok', t] }] },
      { service: 'tickets', field: 'requesterName', multiline: false, request: (t) => ['POST', '/v1/tickets', { requesterName: t, requesterEmail: 'r@example.com', problemDescription: 'slow' }] },
      { service: 'tickets', field: 'problemDescription', multiline: true, request: (t) => ['POST', '/v1/tickets', { requesterName: 'Ada', requesterEmail: 'r@example.com', problemDescription: t }] },
      { service: 'sessions', field: 'notes', multiline: true, request: (t) => ['POST', '/v1/sessions/ses_doesNotExist0001/end', { outcome: 'resolved', notes: t }] },
    ];

    it.each(FIELDS.map((f) => [`${f.service} ${f.field}`, f] as const))('refuses unsafe text in %s with 422 invalid_text naming the field', async (_name, f) => {
      const refused = f.multiline ? UNSAFE : [...UNSAFE, ...SINGLE_LINE_ONLY];
      for (const [what, text] of refused) {
        const [method, path, body] = f.request(text);
        const reply = await asA(method, path, body);
        expectProblem(reply, 422, 'invalid_text', `${what} in ${f.service} ${f.field}`);
        expect(JSON.stringify(reply.body['errors'])).toContain(f.field);
      }
    });

    it('takes letters of every script, emoji and (in multi-line text) line breaks and tabs', async () => {
      await created(asA('POST', '/v1/technicians', { name: 'Zoë Ωmega 李 عربي 🙂', email: 'zoe@example.com' }), 'a technician with a non-ASCII name');
      await created(asA('POST', '/v1/tickets', { requesterName: 'Ada', requesterEmail: 'ada@example.com', problemDescription: 'line one\nline two\r\n\tindented' }), 'a multi-line ticket');
    });
  });

  describe('references to another account', () => {
    it('refuses another account\'s technician, device and ticket as if they did not exist, on every reference', async () => {
      // Account B's entities, each proven known to the service that checks it by B using it successfully.
      const techB = await created(asB('POST', '/v1/technicians', { name: 'Bea', email: 'bea@example.com' }), 'B technician');
      const deviceB = await waitFor('devices to know B\'s technician', async () => {
        const r = await asB('POST', '/v1/devices', { name: 'B pc', os: 'linux', hostname: 'b-pc', ownerTechnicianId: techB });
        return r.status === 201 ? String(r.body['id']) : false;
      }, { timeoutMs: 30_000 });
      const ticketB = await waitFor('tickets to know B\'s device', async () => {
        const r = await asB('POST', '/v1/tickets', { requesterName: 'Bo', requesterEmail: 'bo@example.com', problemDescription: 'B problem', deviceId: deviceB });
        return r.status === 201 ? String(r.body['id']) : false;
      }, { timeoutMs: 30_000 });
      const sessionB = await waitFor('sessions to know B\'s device and ticket', async () => {
        const r = await asB('POST', '/v1/sessions', { deviceId: deviceB, ticketId: ticketB });
        return r.status === 201 ? String(r.body['id']) : false;
      }, { timeoutMs: 30_000 });
      await waitFor('sessions to know B\'s technician', async () => (await asB('POST', `/v1/sessions/${sessionB}/start`, { technicianId: techB })).status === 200, { timeoutMs: 30_000 });
      const ticketB2 = await created(asB('POST', '/v1/tickets', { requesterName: 'Bo', requesterEmail: 'bo@example.com', problemDescription: 'B again' }), 'B ticket 2');
      await waitFor('tickets to know B\'s technician', async () => (await asB('POST', `/v1/tickets/${ticketB2}/assign`, { technicianId: techB })).status === 200, { timeoutMs: 30_000 });

      // Account A's own, to refer from.
      const deviceA = await created(asA('POST', '/v1/devices', { name: 'A pc', os: 'linux', hostname: 'a-pc' }), 'A device');
      const ticketA = await created(asA('POST', '/v1/tickets', { requesterName: 'Al', requesterEmail: 'al@example.com', problemDescription: 'A problem' }), 'A ticket');
      const sessionA = await created(asA('POST', '/v1/sessions', {}), 'A session');

      expectProblem(await asA('POST', '/v1/sessions', { deviceId: deviceB }), 422, 'unknown_device', 'a session for B\'s device');
      expectProblem(await asA('POST', '/v1/sessions', { ticketId: ticketB }), 422, 'unknown_ticket', 'a session for B\'s ticket');
      expectProblem(await asA('POST', '/v1/tickets', { requesterName: 'Al', requesterEmail: 'al@example.com', problemDescription: 'x', deviceId: deviceB }), 422, 'unknown_device', 'a ticket for B\'s device');
      expectProblem(await asA('POST', `/v1/sessions/${sessionA}/start`, { technicianId: techB }), 422, 'unknown_technician', 'B\'s technician starting A\'s session');
      expectProblem(await asA('POST', `/v1/tickets/${ticketA}/assign`, { technicianId: techB }), 422, 'unknown_technician', 'A\'s ticket assigned to B\'s technician');
      expectProblem(await asA('POST', '/v1/devices', { name: 'A pc 2', os: 'linux', hostname: 'a-pc-2', ownerTechnicianId: techB }), 422, 'unknown_technician', 'A\'s device owned by B\'s technician');
      expectProblem(await asA('PATCH', `/v1/devices/${deviceA}`, { ownerTechnicianId: techB }), 422, 'unknown_technician', 'A\'s device given to B\'s technician');

      // Exactly like ids that exist nowhere.
      expectProblem(await asA('POST', '/v1/sessions', { deviceId: 'dev_existsNowhere01' }), 422, 'unknown_device');
      expectProblem(await asA('POST', '/v1/tickets', { requesterName: 'Al', requesterEmail: 'al@example.com', problemDescription: 'x', deviceId: 'dev_existsNowhere01' }), 422, 'unknown_device');
      expectProblem(await asA('POST', '/v1/devices', { name: 'A pc 3', os: 'linux', hostname: 'a-pc-3', ownerTechnicianId: 'tech_existsNowhere01' }), 422, 'unknown_technician');
      // And B's things are untouched: A's device has no owner.
      expect((await asA('GET', `/v1/devices/${deviceA}`)).body['ownerTechnicianId']).toBeNull();
    }, 180_000);
  });
});
