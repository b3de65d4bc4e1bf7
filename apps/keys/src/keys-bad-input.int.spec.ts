import { generateToken } from '@keyward/contracts';
import { MongoEventStore } from '@keyward/event-store';
import type { KeysTestApp } from './testing/keys-test-app.spec-helper';
import { startKeysTestApp } from './testing/keys-test-app.spec-helper';

// Bad input gets a clear 4xx problem+json with a stable code, never a 500, and writes nothing.
// Every case is sent raw (own body text, content type and credentials) and checked the same way.

interface BadRequest {
  readonly method: string;
  /** Path under the app; `:id` is replaced by `keyId`, else by the id of a shared key of the caller's account. */
  readonly path: string;
  readonly keyId?: string;
  /** Raw body text; objects are sent as JSON. */
  readonly body?: string | Record<string, unknown> | readonly unknown[];
  /** Content-Type; default application/json when there is a body, null for none. */
  readonly contentType?: string | null;
  /** Authorization header; default the admin key as Bearer, null for none. */
  readonly authorization?: string | null;
  readonly headers?: Readonly<Record<string, string>>;
}

interface Expected {
  /** The status; when left out, any 4xx. */
  readonly status?: number;
  /** The stable code; when left out, any non-empty code. */
  readonly code?: string;
  /** For validation_failed: fields `errors` must name. */
  readonly fields?: readonly string[];
}

interface Answer {
  readonly status: number;
  readonly contentType: string | null;
  readonly text: string;
  readonly body: Record<string, unknown>;
}

function hasKeyDeep(value: unknown, name: string): boolean {
  if (Array.isArray(value)) return value.some((v) => hasKeyDeep(v, name));
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(value).some(([k, v]) => k === name || hasKeyDeep(v, name));
}

function fieldsOf(body: Record<string, unknown>): string[] {
  const errors = body['errors'];
  if (!Array.isArray(errors)) return [];
  return errors.map((e: unknown) => (typeof e === 'object' && e !== null ? String((e as { field?: unknown }).field) : ''));
}

const VALID_CREATE = { kind: 'private', name: 'valid', permissions: ['devices:read'] } as const;
const KEY_ROUTES: readonly (readonly [string, string, Record<string, unknown> | undefined])[] = [
  ['GET', '', undefined],
  ['GET', '/events', undefined],
  ['POST', '/disable', {}],
  ['POST', '/enable', {}],
  ['PUT', '/expiry', { expiresAt: '2030-01-01T00:00:00Z' }],
  ['PUT', '/permissions', { permissions: ['devices:read'] }],
  ['PUT', '/allowed-ips', { allowedIps: [] }],
  ['POST', '/rotate', {}],
  ['POST', '/revoke', {}],
];

describe('keys API: bad input', () => {
  let app: KeysTestApp;
  let keyId: string;

  beforeAll(async () => {
    app = await startKeysTestApp();
    keyId = await freshKey();
  });
  afterAll(async () => {
    await app?.close();
  });

  /** A key of its own for a case that, if the bug it probes is there, would change the key. */
  async function freshKey(): Promise<string> {
    const made = await app.call('POST', '/v1/keys', { kind: 'private', name: 'fresh', permissions: ['devices:read'] });
    const key = made.body['key'];
    if (made.status !== 201 || typeof key !== 'object' || key === null) throw new Error(`could not create a key: ${made.status}`);
    return String((key as { id?: unknown }).id);
  }

  async function eventCount(): Promise<number> {
    return app.app.get(MongoEventStore).events.countDocuments();
  }

  async function send(req: BadRequest): Promise<Answer> {
    const headers: Record<string, string> = { ...req.headers };
    const authorization = req.authorization === undefined ? `Bearer ${app.adminSecret}` : req.authorization;
    if (authorization !== null) headers['authorization'] = authorization;
    const body = req.body === undefined || typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
    const contentType = req.contentType === undefined ? (body !== undefined ? 'application/json' : null) : req.contentType;
    if (contentType !== null) headers['content-type'] = contentType;
    const res = await fetch(`${app.url}${req.path.replace(':id', req.keyId ?? keyId)}`, { method: req.method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const isObject = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
    return { status: res.status, contentType: res.headers.get('content-type'), text, body: isObject ? (parsed as Record<string, unknown>) : {} };
  }

  /** Sends a bad request and checks it is refused clearly, without a trace, and that nothing was written. */
  async function expectRefused(req: BadRequest, expected: Expected): Promise<Answer> {
    const before = await eventCount();
    const answer = await send(req);
    const code = answer.body['code'];
    const status = expected.status ?? (answer.status >= 400 && answer.status < 500 ? answer.status : 'a 4xx');
    expect({ status: answer.status, code }).toEqual({ status, code: expected.code ?? code });
    expect(typeof code === 'string' && code.length > 0).toBe(true);
    expect(answer.contentType).toMatch(/^application\/problem\+json/);
    expect(answer.body['status']).toBe(answer.status);
    expect(typeof answer.body['title']).toBe('string');
    expect(hasKeyDeep(answer.body, 'stack')).toBe(false);
    expect(answer.text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
    expect(answer.text).not.toContain(app.adminSecret);
    if (expected.fields) expect(fieldsOf(answer.body)).toEqual(expect.arrayContaining([...expected.fields]));
    expect(await eventCount()).toBe(before);
    return answer;
  }

  describe('malformed JSON', () => {
    const malformed: readonly (readonly [string, string, string])[] = [
      ['POST', '/v1/keys', '{"kind": "private",'],
      ['POST', '/v1/keys', "{kind: 'private'}"],
      ['POST', '/v1/keys', '{"kind":"private","name":"x","permissions":["devices:read"]} trailing'],
      ['POST', '/v1/keys', '{"kind":"private",}'],
      ['PUT', '/v1/keys/:id/permissions', '{"permissions": ["devices:read"'],
      ['PUT', '/v1/keys/:id/expiry', '{"expiresAt": 2030-01-01}'],
      ['POST', '/v1/keys/:id/disable', '{'],
      ['POST', '/v1/keys/:id/rotate', "{'gracePeriodSeconds': 5}"],
    ];

    it.each(malformed)('refuses %s %s with body %j with 400 problem+json and writes nothing', async (method, path, body) => {
      await expectRefused({ method, path, body }, { status: 400 });
    });

    it.each(malformed)('names malformed JSON on %s %s (%j) with the code malformed_json', async (method, path, body) => {
      expect((await send({ method, path, body })).body['code']).toBe('malformed_json');
    });
  });

  describe('JSON that is not an object', () => {
    const arrays = ['[]', '[{"kind":"private","name":"x","permissions":["devices:read"]}]', '["reason"]'];
    const scalars = ['"x"', 'null', '42', 'true'];
    const routes: readonly (readonly [string, string])[] = [
      ['POST', '/v1/keys'],
      ['POST', '/v1/keys/:id/disable'],
      ['POST', '/v1/keys/:id/enable'],
      ['PUT', '/v1/keys/:id/expiry'],
      ['PUT', '/v1/keys/:id/permissions'],
      ['PUT', '/v1/keys/:id/allowed-ips'],
      ['POST', '/v1/keys/:id/rotate'],
      ['POST', '/v1/keys/:id/revoke'],
    ];
    it.each(routes.flatMap(([method, path]) => arrays.map((body) => [method, path, body] as const)))(
      'refuses %s %s with the array %s with 400 validation_failed',
      async (method, path, body) => {
        await expectRefused({ method, path, body }, { status: 400, code: 'validation_failed' });
      },
    );

    // The JSON parser is strict (objects and arrays only), so these are malformed bodies to it.
    it.each(routes.flatMap(([method, path]) => scalars.map((body) => [method, path, body] as const)))(
      'refuses %s %s with the bare value %s with 400 malformed_json',
      async (method, path, body) => {
        await expectRefused({ method, path, body }, { status: 400, code: 'malformed_json' });
      },
    );
  });

  describe('wrong types', () => {
    it.each<[string, Record<string, unknown>, string[]]>([
      ['kind is a number', { ...VALID_CREATE, kind: 1 }, ['kind']],
      ['kind is not a kind', { ...VALID_CREATE, kind: 'Private' }, ['kind']],
      ['permissions is a string', { ...VALID_CREATE, permissions: 'x' }, ['permissions']],
      ['permissions holds null', { ...VALID_CREATE, permissions: ['devices:read', null] }, ['permissions']],
      ['permissions holds an object', { ...VALID_CREATE, permissions: [{ $ne: '' }] }, ['permissions']],
      ['allowedIps holds a number', { ...VALID_CREATE, allowedIps: [1] }, ['allowedIps']],
      ['allowedIps is a string', { ...VALID_CREATE, allowedIps: '10.0.0.0/8' }, ['allowedIps']],
      ['name is an object', { ...VALID_CREATE, name: {} }, ['name']],
      ['name is longer than 200', { ...VALID_CREATE, name: 'n'.repeat(201) }, ['name']],
      ['expiresAt is a number', { ...VALID_CREATE, expiresAt: 1_900_000_000_000 }, ['expiresAt']],
      ['expiresAt is an object', { ...VALID_CREATE, expiresAt: { $gt: '' } }, ['expiresAt']],
      ['every field is wrong', { kind: 1, name: {}, permissions: 'x', allowedIps: [1] }, ['kind', 'name', 'permissions', 'allowedIps']],
      ['the body is empty', {}, ['kind', 'name', 'permissions']],
      ['permissions has 101 entries', { ...VALID_CREATE, permissions: Array.from({ length: 101 }, () => 'devices:read') }, ['permissions']],
    ])('refuses creating a key where %s with 400 validation_failed naming the fields', async (_what, body, fields) => {
      await expectRefused({ method: 'POST', path: '/v1/keys', body }, { status: 400, code: 'validation_failed', fields });
    });

    it.each<[string, string, Record<string, unknown>, string[]]>([
      ['PUT', '/v1/keys/:id/permissions', { permissions: 'devices:read' }, ['permissions']],
      ['PUT', '/v1/keys/:id/permissions', {}, ['permissions']],
      ['PUT', '/v1/keys/:id/permissions', { permissions: [1] }, ['permissions']],
      ['PUT', '/v1/keys/:id/allowed-ips', { allowedIps: '10.0.0.0/8' }, ['allowedIps']],
      ['PUT', '/v1/keys/:id/allowed-ips', { allowedIps: [{}] }, ['allowedIps']],
      ['PUT', '/v1/keys/:id/expiry', { expiresAt: 1 }, ['expiresAt']],
      ['PUT', '/v1/keys/:id/expiry', {}, ['expiresAt']],
      ['PUT', '/v1/keys/:id/expiry', { expiresAt: null }, ['expiresAt']],
      ['POST', '/v1/keys/:id/enable', { expiresAt: true }, ['expiresAt']],
      ['POST', '/v1/keys/:id/disable', { reason: 5 }, ['reason']],
      ['POST', '/v1/keys/:id/disable', { reason: 'r'.repeat(1001) }, ['reason']],
      ['POST', '/v1/keys/:id/revoke', { reason: ['a'] }, ['reason']],
    ])('refuses %s %s with %j with 400 validation_failed naming the fields', async (method, path, body, fields) => {
      await expectRefused({ method, path, body }, { status: 400, code: 'validation_failed', fields });
    });

    it.each<[string, string]>([
      ['a fraction', '{"gracePeriodSeconds": 1.5}'],
      ['a numeric string', '{"gracePeriodSeconds": "60"}'],
      ['a boolean', '{"gracePeriodSeconds": true}'],
      ['an array', '{"gracePeriodSeconds": [60]}'],
      ['an object', '{"gracePeriodSeconds": {}}'],
      ['beyond a double', '{"gracePeriodSeconds": 1e400}'],
      ['a negative fraction', '{"gracePeriodSeconds": -0.5}'],
    ])('refuses a gracePeriodSeconds that is %s with 400 validation_failed', async (_what, body) => {
      await expectRefused({ method: 'POST', path: '/v1/keys/:id/rotate', body }, { status: 400, code: 'validation_failed', fields: ['gracePeriodSeconds'] });
    });

    it.each<[string, string]>([
      ['POST', '/v1/keys/:id/disable'],
      ['POST', '/v1/keys/:id/revoke'],
    ])('refuses a reason over 500 characters on %s %s with 422 invalid_reason', async (method, path) => {
      await expectRefused({ method, path, body: { reason: 'r'.repeat(501) } }, { status: 422, code: 'invalid_reason' });
    });
  });

  describe('unknown fields', () => {
    it.each<[string, Record<string, unknown>, string]>([
      ['accountId', { ...VALID_CREATE, accountId: 'acc_other' }, 'accountId'],
      ['id', { ...VALID_CREATE, id: 'key_chosenbyclient' }, 'id'],
      ['secret', { ...VALID_CREATE, secret: generateToken('private') }, 'secret'],
      ['secretHash', { ...VALID_CREATE, secretHash: '0'.repeat(64) }, 'secretHash'],
      ['status', { ...VALID_CREATE, status: 'active' }, 'status'],
      ['createdBy', { ...VALID_CREATE, createdBy: 'bootstrap' }, 'createdBy'],
      ['a misspelt field', { ...VALID_CREATE, allowedIPs: ['10.0.0.0/8'] }, 'allowedIPs'],
    ])('refuses creating a key with an unknown field (%s) with 400 validation_failed naming it', async (_what, body, field) => {
      await expectRefused({ method: 'POST', path: '/v1/keys', body }, { status: 400, code: 'validation_failed', fields: [field] });
    });

    it.each<[string, string, Record<string, unknown>, string]>([
      ['POST', '/v1/keys/:id/disable', { reason: 'x', force: true }, 'force'],
      ['POST', '/v1/keys/:id/enable', { expiry: '2030-01-01T00:00:00Z' }, 'expiry'],
      ['PUT', '/v1/keys/:id/expiry', { expiresAt: '2030-01-01T00:00:00Z', status: 'active' }, 'status'],
      ['PUT', '/v1/keys/:id/permissions', { permissions: ['devices:read'], accountId: 'acc_other' }, 'accountId'],
      ['PUT', '/v1/keys/:id/allowed-ips', { allowedIps: [], allowedIPs: [] }, 'allowedIPs'],
      ['POST', '/v1/keys/:id/rotate', { gracePeriod: 60 }, 'gracePeriod'],
      ['POST', '/v1/keys/:id/revoke', { reason: 'x', permanent: true }, 'permanent'],
    ])('refuses %s %s with an unknown field %j with 400 validation_failed naming it', async (method, path, body, field) => {
      await expectRefused({ method, path, body }, { status: 400, code: 'validation_failed', fields: [field] });
    });

    it("keeps a key made with a __proto__ field in the caller's account", async () => {
      const answer = await send({ method: 'POST', path: '/v1/keys', body: '{"kind":"private","name":"x","permissions":["devices:read"],"__proto__":{"accountId":"acc_other"}}' });
      expect(answer.status).toBeLessThan(500);
      const key = answer.body['key'];
      if (answer.status === 201) expect((key as { accountId?: unknown }).accountId).toBe(app.accountId);
    });

    it('refuses a __proto__ field like any other unknown field instead of ignoring it', async () => {
      await expectRefused(
        { method: 'POST', path: '/v1/keys', body: '{"kind":"private","name":"x","permissions":["devices:read"],"__proto__":{"accountId":"acc_other"}}' },
        { status: 400, code: 'validation_failed' },
      );
    });

    it.each<[string, string]>([
      ['an unknown parameter', '/v1/keys?owner=me'],
      ['an operator-shaped parameter', '/v1/keys?kind[$ne]=public'],
      ['a limit that is not a number', '/v1/keys?limit=abc'],
      ['a limit of 0', '/v1/keys?limit=0'],
      ['a limit of 101', '/v1/keys?limit=101'],
      ['a fractional limit', '/v1/keys?limit=1.5'],
      ['a repeated limit', '/v1/keys?limit=1&limit=2'],
      ['an unknown kind', '/v1/keys?kind=secret'],
      ['an unknown status', '/v1/keys?status=deleted'],
      ['a cursor over 500 characters', `/v1/keys?cursor=${'c'.repeat(501)}`],
    ])('refuses a list query with %s with 400 validation_failed', async (_what, path) => {
      await expectRefused({ method: 'GET', path }, { status: 400, code: 'validation_failed' });
    });
  });

  describe('size', () => {
    it.each<[string, string]>([
      ['POST', '/v1/keys'],
      ['PUT', '/v1/keys/:id/permissions'],
      ['POST', '/v1/keys/:id/disable'],
    ])('refuses a 1 MB body on %s %s with 413 payload_too_large', async (method, path) => {
      const body = JSON.stringify({ ...VALID_CREATE, name: 'n'.repeat(1024 * 1024) });
      await expectRefused({ method, path, body }, { status: 413, code: 'payload_too_large' });
    });
  });

  describe('key ids in the path', () => {
    const badIds: readonly (readonly [string, string])[] = [
      ['not a key id', 'not-a-key'],
      ['too short', 'key_abc'],
      ['65 characters after key_', `key_${'a'.repeat(65)}`],
      ['very long', 'k'.repeat(2000)],
      ['a NUL byte', '%00'],
      ['a NUL byte inside', 'key_abcd%00efgh'],
      ['an encoded slash', 'key_abcd%2Fefgh'],
      ['a hyphen', 'key_ab-cd'],
      ['upper-case KEY_', 'KEY_abcd'],
      ['a trailing space', 'key_abcd%20'],
      ['a JSON operator', '%7B%22%24ne%22%3A1%7D'],
    ];
    it.each(badIds.flatMap(([what, id]) => KEY_ROUTES.map(([method, suffix, body]) => [what, method, suffix, id, body] as const)))(
      'refuses a key id that is %s on %s /v1/keys/<id>%s (400 invalid_key_id, or 404 route_not_found when percent-encoded)',
      async (_what, method, suffix, id, body) => {
        // A percent-encoded path is never canonical (libs/contracts canonical-path): no route, as at the edge.
        const expected = id.includes('%') ? { status: 404, code: 'route_not_found' } : { status: 400, code: 'invalid_key_id' };
        await expectRefused({ method, path: `/v1/keys/${id}${suffix}`, ...(body !== undefined ? { body } : {}) }, expected);
      },
    );

    it.each([
      ['GET', '/v1/keys/key_%E0%A4%A'],
      ['GET', '/v1/keys/key_%ZZabcd/events'],
      ['POST', '/v1/keys/key_%E0%A4%A/disable'],
    ])('refuses a malformed percent-encoding in the key id on %s %s with 404 route_not_found', async (method, path) => {
      await expectRefused({ method, path, ...(method === 'POST' ? { body: {} } : {}) }, { status: 404, code: 'route_not_found' });
    });

    it('answers a well-formed id of no key with 404 key_not_found, not 400', async () => {
      await expectRefused({ method: 'GET', path: '/v1/keys/key_abcd' }, { status: 404, code: 'key_not_found' });
      await expectRefused({ method: 'POST', path: '/v1/keys/key_abcd/disable', body: {} }, { status: 404, code: 'key_not_found' });
    });
  });

  describe('credentials', () => {
    const admin = (): string => app.adminSecret;
    it.each<[string, () => Record<string, string>, string]>([
      ['no credentials', () => ({}), 'missing_key'],
      ['an empty bearer', () => ({ authorization: 'Bearer ' }), 'missing_key'],
      ['the scheme alone', () => ({ authorization: 'Bearer' }), 'missing_key'],
      ['Basic credentials', () => ({ authorization: 'Basic dXNlcjpwYXNzd29yZA==' }), 'missing_key'],
      ['the key under the Basic scheme', () => ({ authorization: `Basic ${admin()}` }), 'missing_key'],
      ['the key without a scheme', () => ({ authorization: admin() }), 'missing_key'],
      ['an empty X-API-Key', () => ({ 'x-api-key': '' }), 'missing_key'],
      ['a wrong prefix', () => ({ authorization: `Bearer kw_xk_${admin().slice(6)}` }), 'malformed_key'],
      ['another vendor prefix', () => ({ authorization: `Bearer sk_live_${admin().slice(8)}` }), 'malformed_key'],
      ['a bad checksum', () => ({ authorization: `Bearer ${admin().slice(0, -1)}${admin().endsWith('A') ? 'B' : 'A'}` }), 'malformed_key'],
      ['a changed character', () => ({ authorization: `Bearer ${admin().slice(0, 10)}${admin()[10] === 'A' ? 'B' : 'A'}${admin().slice(11)}` }), 'malformed_key'],
      ['a truncated key', () => ({ authorization: `Bearer ${admin().slice(0, -1)}` }), 'malformed_key'],
      ['a key with an extra character', () => ({ authorization: `Bearer ${admin()}A` }), 'malformed_key'],
      ['the key twice', () => ({ authorization: `Bearer ${admin()} ${admin()}` }), 'malformed_key'],
      ['the key in lower case', () => ({ authorization: `Bearer ${admin().toLowerCase()}` }), 'malformed_key'],
      ['garbage in X-API-Key', () => ({ 'x-api-key': 'garbage' }), 'malformed_key'],
      ['a well-formed key nobody issued', () => ({ authorization: `Bearer ${generateToken('private')}` }), 'unknown_key'],
      ['a public key nobody issued', () => ({ 'x-api-key': generateToken('public') }), 'unknown_key'],
    ])('refuses a request with %s with 401', async (_what, headers, code) => {
      const answer = await expectRefused(
        { method: 'POST', path: '/v1/keys', body: VALID_CREATE, authorization: null, headers: headers() },
        { status: 401, code },
      );
      expect(answer.body['secret']).toBeUndefined();
    });

    it('checks the key before reading a bad body, so an unauthenticated caller learns nothing about validation', async () => {
      await expectRefused({ method: 'POST', path: '/v1/keys', body: { kind: 1 }, authorization: null }, { status: 401, code: 'missing_key' });
    });
  });

  describe('content types and encodings', () => {
    it.each<[string, string | null, string]>([
      ['text/plain', 'text/plain', JSON.stringify(VALID_CREATE)],
      ['a form', 'application/x-www-form-urlencoded', 'kind=private&name=x&permissions=devices:read'],
      ['no content type', null, JSON.stringify(VALID_CREATE)],
      ['XML', 'application/xml', '<key kind="private"/>'],
    ])('refuses creating a key from a body sent as %s with a 4xx, not a 500', async (_what, contentType, body) => {
      await expectRefused({ method: 'POST', path: '/v1/keys', body, contentType }, {});
    });

    it.each<[string, string, string]>([
      ['POST', '/v1/keys/:id/disable', '{"reason":"sent as text"}'],
      ['POST', '/v1/keys/:id/revoke', '{"reason":"sent as text"}'],
      ['POST', '/v1/keys/:id/rotate', '{"gracePeriodSeconds":604800}'],
    ])('refuses %s %s with a JSON body sent as text/plain (415) rather than acting without it', async (method, path, body) => {
      const refused = await expectRefused({ method, path, body, contentType: 'text/plain', keyId: await freshKey() }, { status: 415, code: 'unsupported_media_type' });
      expect(refused.body['secret']).toBeUndefined();
    });

    it('refuses a JSON body in a charset other than UTF-8 with 415 unsupported_charset', async () => {
      await expectRefused({ method: 'POST', path: '/v1/keys', body: VALID_CREATE, contentType: 'application/json; charset=latin1' }, { status: 415, code: 'unsupported_charset' });
    });

    it('refuses an unknown content encoding with 415 unsupported_encoding', async () => {
      await expectRefused(
        { method: 'POST', path: '/v1/keys', body: VALID_CREATE, headers: { 'content-encoding': 'x-unknown' } },
        { status: 415, code: 'unsupported_encoding' },
      );
    });

    it('refuses a body that claims gzip but is not with a 400', async () => {
      await expectRefused(
        { method: 'POST', path: '/v1/keys', body: JSON.stringify(VALID_CREATE), headers: { 'content-encoding': 'gzip' } },
        { status: 400 },
      );
    });
  });

  describe('null for optional values', () => {
    it.each<[string, string]>([
      ['POST', '/v1/keys/:id/disable'],
      ['POST', '/v1/keys/:id/revoke'],
    ])('refuses a null reason on %s %s with 400 validation_failed', async (method, path) => {
      await expectRefused({ method, path, body: { reason: null }, keyId: await freshKey() }, { status: 400, code: 'validation_failed', fields: ['reason'] });
    });

    it.each<[string, string, Record<string, unknown>]>([
      ['POST', '/v1/keys/:id/enable', { expiresAt: null }],
      ['POST', '/v1/keys/:id/rotate', { gracePeriodSeconds: null }],
      ['POST', '/v1/keys', { ...VALID_CREATE, expiresAt: null }],
      ['POST', '/v1/keys', { ...VALID_CREATE, allowedIps: null }],
    ])('never answers %s %s with %j with a 500', async (method, path, body) => {
      const answer = await send({ method, path, body, keyId: await freshKey() });
      expect({ status: answer.status, code: answer.body['code'] }).toEqual({ status: answer.status < 500 ? answer.status : 'not a 5xx', code: answer.body['code'] });
      if (answer.status >= 400) expect(answer.contentType).toMatch(/^application\/problem\+json/);
    });
  });

  describe('routes', () => {
    it.each<[string, string]>([
      ['DELETE', '/v1/keys/:id'],
      ['PATCH', '/v1/keys/:id'],
      ['GET', '/v1/nothing'],
      ['POST', '/v1/keys/:id/destroy'],
    ])('answers %s %s, which does not exist, with 404 problem+json', async (method, path) => {
      await expectRefused({ method, path }, { status: 404, code: 'not_found' });
    });
  });
});
