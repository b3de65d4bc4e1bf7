import { generateToken, hashToken, TOKEN_PATTERN } from '@keyward/contracts';
import { MongoEventStore } from '@keyward/event-store';
import { ManualClock, waitFor } from '@keyward/testing';
import type { KeyAggregates } from './application/api-key.aggregate';
import { KEY_AGGREGATES } from './application/api-key.aggregate';
import type { KeyDto } from './application/key-view.dto';
import { bootstrapAdminKey, bootstrapKeyId } from './bootstrap/bootstrap';
import { ExpiryScheduler } from './commands/expire-keys/expiry-scheduler';
import type { KeysTestApp } from './testing/keys-test-app.spec-helper';
import { startKeysTestApp } from './testing/keys-test-app.spec-helper';

// Every command and every key rule, through HTTP, on the run's real Kafka and FerretDB. One app per
// describe block; every test makes the keys it needs, so no test depends on another's state.

type Reply = Awaited<ReturnType<KeysTestApp['call']>>;

interface HistoryEntry {
  version: number;
  type: string;
  occurredAt: string;
  data: Record<string, unknown>;
}

/** 2028 is a leap year: one year after 29 February is 28 February. */
const LEAP_DAY = '2028-02-29T12:00:00.000Z';
const HOUR = 3_600_000;
const PROPAGATION = { timeoutMs: 15_000 };
const READER = { kind: 'private', name: 'reader', permissions: ['keys:read'] } as const;

function keyOf(value: unknown): KeyDto {
  if (typeof value !== 'object' || value === null || typeof (value as { id?: unknown }).id !== 'string') {
    throw new Error(`expected a key, got ${JSON.stringify(value)}`);
  }
  return value as KeyDto;
}

function itemsOf(reply: Reply): unknown[] {
  const items = reply.body['items'];
  if (reply.status !== 200 || !Array.isArray(items)) throw new Error(`expected 200 with items, got ${reply.status} ${JSON.stringify(reply.body)}`);
  return items;
}

function expectProblem(reply: Reply, status: number, code: string): void {
  expect({ status: reply.status, code: reply.body['code'] }).toEqual({ status, code });
  expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(reply.body['status']).toBe(status);
}

/** Every property name anywhere in a JSON value. */
function fieldNames(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) fieldNames(v, out);
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      out.add(k);
      fieldNames(v, out);
    }
  }
  return out;
}

function expectNoSecretIn(body: unknown, secret: string): void {
  const text = JSON.stringify(body);
  expect(text).not.toContain(secret);
  expect(text.match(TOKEN_PATTERN)).toBeNull();
  const names = fieldNames(body);
  for (const hidden of ['secret', 'secretHash', 'previousSecretHash']) expect(names.has(hidden)).toBe(false);
}

async function createKey(app: KeysTestApp, body: Record<string, unknown>, secret?: string): Promise<{ key: KeyDto; secret: string; reply: Reply }> {
  const reply = await app.call('POST', '/v1/keys', body, secret);
  const created = reply.body['secret'];
  if (reply.status !== 201 || typeof created !== 'string') throw new Error(`creating a key answered ${reply.status} ${JSON.stringify(reply.body)}`);
  return { key: keyOf(reply.body['key']), secret: created, reply };
}

async function rotate(app: KeysTestApp, keyId: string, gracePeriodSeconds?: number): Promise<{ key: KeyDto; secret: string; reply: Reply }> {
  const reply = await app.call('POST', `/v1/keys/${keyId}/rotate`, gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds });
  const secret = reply.body['secret'];
  if (reply.status !== 200 || typeof secret !== 'string') throw new Error(`rotating answered ${reply.status} ${JSON.stringify(reply.body)}`);
  return { key: keyOf(reply.body['key']), secret, reply };
}

async function getKey(app: KeysTestApp, keyId: string): Promise<KeyDto> {
  const reply = await app.call('GET', `/v1/keys/${keyId}`);
  if (reply.status !== 200) throw new Error(`GET ${keyId} answered ${reply.status} ${JSON.stringify(reply.body)}`);
  return keyOf(reply.body);
}

async function historyOf(app: KeysTestApp, keyId: string): Promise<HistoryEntry[]> {
  return itemsOf(await app.call('GET', `/v1/keys/${keyId}/events`)) as HistoryEntry[];
}

async function typesOf(app: KeysTestApp, keyId: string): Promise<string[]> {
  return (await historyOf(app, keyId)).map((e) => e.type);
}

async function eventCount(app: KeysTestApp): Promise<number> {
  return app.app.get(MongoEventStore).events.countDocuments();
}

/** A call with a key's secret, as the key projection (fed through Kafka) answers it. */
function probe(app: KeysTestApp, secret: string): Promise<Reply> {
  return app.call('GET', '/v1/keys?limit=1', undefined, secret);
}

/** Polls until a call with `secret` answers `status` (and `code`): the projection has caught up. */
async function waitForAnswer(app: KeysTestApp, secret: string, status: number, code?: string): Promise<void> {
  await waitFor(`a call with the key to answer ${status}${code ? ` ${code}` : ''}`, async () => {
    const r = await probe(app, secret);
    if (r.status === status && (code === undefined || r.body['code'] === code)) return true;
    throw new Error(`answered ${r.status} ${String(r.body['code'] ?? '')}`);
  }, PROPAGATION);
}

/** Waits until the key projection knows a new secret (it stops answering 401 unknown_key). */
async function waitUntilKnown(app: KeysTestApp, secret: string): Promise<void> {
  await waitFor('the key to reach the key projection', async () => {
    const r = await probe(app, secret);
    return !(r.status === 401 && r.body['code'] === 'unknown_key');
  }, PROPAGATION);
}

async function rawFetch(app: KeysTestApp, path: string, headers: Record<string, string>): Promise<Reply> {
  const res = await fetch(`${app.url}${path}`, { headers });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

describe('keys API: creating keys', () => {
  const clock = new ManualClock(LEAP_DAY);
  let app: KeysTestApp;

  beforeAll(async () => {
    app = await startKeysTestApp({ clock });
  });
  afterAll(async () => {
    await app?.close();
  });
  beforeEach(() => clock.set(LEAP_DAY));

  it('shows the secret once: in the 201 answer with Cache-Control no-store, never in get, list or history', async () => {
    const { key, secret, reply } = await createKey(app, { kind: 'private', name: 'ci deploy', permissions: ['devices:read'] });
    expect(reply.headers.get('cache-control')).toBe('no-store');
    expect(secret).toMatch(/^kw_sk_[0-9A-Za-z]{49}$/);
    expect(key.tokenPrefix).toBe(secret.slice(0, 12));
    expect(fieldNames(key).has('secretHash')).toBe(false);

    const got = await app.call('GET', `/v1/keys/${key.id}`);
    expect(got.status).toBe(200);
    expectNoSecretIn(got.body, secret);
    const listed = await app.call('GET', '/v1/keys?limit=100');
    expect(itemsOf(listed).map((k) => keyOf(k).id)).toContain(key.id);
    expectNoSecretIn(listed.body, secret);
    const history = await app.call('GET', `/v1/keys/${key.id}/events`);
    expect(itemsOf(history)).toHaveLength(1);
    expectNoSecretIn(history.body, secret);
  });

  it('stores and publishes only the SHA-256 of the secret', async () => {
    const { key, secret } = await createKey(app, { kind: 'private', name: 'hashed', permissions: ['devices:read'] });
    const stored = await app.app.get(MongoEventStore).readStream(key.id);
    expect(stored).toHaveLength(1);
    expect((stored[0]?.data as Record<string, unknown>)['secretHash']).toBe(hashToken(secret));
    expect(JSON.stringify(stored)).not.toContain(secret);
  });

  it('answers the new key as active, version 1, created by the calling key in its account', async () => {
    const { key } = await createKey(app, { kind: 'private', name: '  padded name  ', permissions: ['tickets:read'] });
    expect(key).toMatchObject({
      accountId: app.accountId, kind: 'private', name: 'padded name', permissions: ['tickets:read'], allowedIps: [],
      status: 'active', createdAt: LEAP_DAY, createdBy: bootstrapKeyId(app.accountId), lastRotatedAt: null,
      previousSecretValidUntil: null, rotationDue: false, version: 1,
    });
    expect(key.id).toMatch(/^key_[0-9A-Za-z]{20}$/);
  });

  it('lets the new secret authorize requests once the key projection has it', async () => {
    const { secret } = await createKey(app, READER);
    await waitUntilKnown(app, secret);
    expect((await probe(app, secret)).status).toBe(200);
  });

  it('makes a new key expire one year after creation: created 2028-02-29T12:00:00Z, it expires 2029-02-28T12:00:00Z', async () => {
    const { key } = await createKey(app, { kind: 'private', name: 'leap', permissions: ['devices:read'] });
    expect(key.expiresAt).toBe('2029-02-28T12:00:00.000Z');
  });

  it('makes one year from 2027-03-01T00:00:00Z end on 2028-03-01T00:00:00Z, across a 29 February', async () => {
    clock.set('2027-03-01T00:00:00.000Z');
    const { key } = await createKey(app, { kind: 'private', name: 'across leap day', permissions: ['devices:read'] });
    expect(key.expiresAt).toBe('2028-03-01T00:00:00.000Z');
  });

  it('accepts an expiry exactly one year ahead, in UTC or with an offset', async () => {
    const utc = await createKey(app, { kind: 'private', name: 'max', permissions: ['devices:read'], expiresAt: '2029-02-28T12:00:00.000Z' });
    expect(utc.key.expiresAt).toBe('2029-02-28T12:00:00.000Z');
    const offset = await createKey(app, { kind: 'private', name: 'max+01', permissions: ['devices:read'], expiresAt: '2029-02-28T13:00:00+01:00' });
    expect(offset.key.expiresAt).toBe('2029-02-28T12:00:00.000Z');
  });

  it('accepts an expiry earlier than one year ahead', async () => {
    const { key } = await createKey(app, { kind: 'private', name: 'short', permissions: ['devices:read'], expiresAt: '2028-03-01T00:00:00Z' });
    expect(key.expiresAt).toBe('2028-03-01T00:00:00.000Z');
  });

  it('refuses an expiry one millisecond more than a year ahead with 422 expiry_too_far naming the latest allowed', async () => {
    const before = await eventCount(app);
    const reply = await app.call('POST', '/v1/keys', { kind: 'private', name: 'too far', permissions: ['devices:read'], expiresAt: '2029-02-28T12:00:00.001Z' });
    expectProblem(reply, 422, 'expiry_too_far');
    expect(reply.body['latest']).toBe('2029-02-28T12:00:00.000Z');
    expect(reply.body['secret']).toBeUndefined();
    expect(await eventCount(app)).toBe(before);
  });

  it.each([
    ['one millisecond ago', '2028-02-29T11:59:59.999Z'],
    ['exactly now', LEAP_DAY],
    ['last year', '2027-02-28T12:00:00Z'],
  ])('refuses an expiry %s with 422 expiry_in_past', async (_what, expiresAt) => {
    const reply = await app.call('POST', '/v1/keys', { kind: 'private', name: 'past', permissions: ['devices:read'], expiresAt });
    expectProblem(reply, 422, 'expiry_in_past');
  });

  it.each([
    ['words', 'next tuesday'],
    ['a date without a time', '2028-06-01'],
    ['a time without a zone', '2028-06-01T00:00:00'],
    ['30 February', '2028-02-30T00:00:00Z'],
    ['29 February of a common year', '2029-02-29T00:00:00Z'],
    ['hour 24', '2028-06-01T24:00:00Z'],
    ['an empty string', ''],
  ])('refuses an expiry that is not an instant (%s) with 422 invalid_expiry', async (_what, expiresAt) => {
    const reply = await app.call('POST', '/v1/keys', { kind: 'private', name: 'not a date', permissions: ['devices:read'], expiresAt });
    expectProblem(reply, 422, 'invalid_expiry');
  });

  it('creates a public key holding only public-safe permissions, with a kw_pk_ secret', async () => {
    const { key, secret } = await createKey(app, { kind: 'public', name: 'widget', permissions: ['tickets:create', 'sessions:create'] });
    expect(secret).toMatch(/^kw_pk_/);
    expect(key.kind).toBe('public');
    expect(key.permissions).toEqual(['sessions:create', 'tickets:create']);
  });

  it('refuses a private permission on a public key with 422 permission_not_public_safe naming it', async () => {
    const before = await eventCount(app);
    const reply = await app.call('POST', '/v1/keys', { kind: 'public', name: 'widget', permissions: ['sessions:create', 'devices:read'] });
    expectProblem(reply, 422, 'permission_not_public_safe');
    expect(reply.body['permissions']).toEqual(['devices:read']);
    expect(await eventCount(app)).toBe(before);
  });

  it('refuses a permission outside the catalog with 422 unknown_permission naming it', async () => {
    const reply = await app.call('POST', '/v1/keys', { kind: 'private', name: 'x', permissions: ['devices:read', 'devices:destroy'] });
    expectProblem(reply, 422, 'unknown_permission');
    expect(reply.body['permissions']).toEqual(['devices:destroy']);
  });

  it('refuses a key without permissions with 422 permissions_required', async () => {
    expectProblem(await app.call('POST', '/v1/keys', { kind: 'private', name: 'x', permissions: [] }), 422, 'permissions_required');
  });

  it('stores permissions sorted and without duplicates', async () => {
    const { key } = await createKey(app, { kind: 'private', name: 'dups', permissions: ['tickets:read', 'devices:read', 'tickets:read'] });
    expect(key.permissions).toEqual(['devices:read', 'tickets:read']);
  });

  it.each([
    ['words', 'localhost'],
    ['an octet over 255', '256.1.1.1'],
    ['three octets', '10.0.0'],
    ['a prefix over 32', '10.0.0.0/33'],
    ['a negative prefix', '10.0.0.0/-1'],
    ['an empty prefix', '10.0.0.0/'],
    ['two double colons', '2001:db8::1::2'],
    ['an IPv6 prefix over 128', '2001:db8::/129'],
    ['an empty entry', ''],
  ])('refuses a malformed allowed IP (%s) with 422 invalid_ip', async (_what, entry) => {
    const reply = await app.call('POST', '/v1/keys', { kind: 'private', name: 'ips', permissions: ['devices:read'], allowedIps: ['192.0.2.1', entry] });
    expectProblem(reply, 422, 'invalid_ip');
    expect(reply.body['entry']).toBe(entry);
  });

  it('stores allowed IPs and CIDR ranges in canonical form, duplicates dropped', async () => {
    const { key } = await createKey(app, {
      kind: 'private', name: 'ips', permissions: ['devices:read'],
      allowedIps: ['10.1.2.3/8', '2001:DB8:0:0::1/32', ' 192.0.2.7 ', '192.0.2.7/32', '2001:db8:0:0:0:0:0:1'],
    });
    expect(key.allowedIps).toEqual(['10.0.0.0/8', '2001:db8::/32', '192.0.2.7', '2001:db8::1']);
    expect((await getKey(app, key.id)).allowedIps).toEqual(key.allowedIps);
  });

  it('refuses more than 100 allowed IP entries with 422 too_many_allowed_ips', async () => {
    const allowedIps = Array.from({ length: 101 }, (_, i) => `10.0.${Math.floor(i / 256)}.${i % 256}`);
    expectProblem(await app.call('POST', '/v1/keys', { kind: 'private', name: 'ips', permissions: ['devices:read'], allowedIps }), 422, 'too_many_allowed_ips');
  });

  it.each([
    ['a blank name', '   '],
    ['an empty name', ''],
    ['a name of 101 characters', 'n'.repeat(101)],
  ])('refuses %s with 422 invalid_name', async (_what, name) => {
    expectProblem(await app.call('POST', '/v1/keys', { kind: 'private', name, permissions: ['devices:read'] }), 422, 'invalid_name');
  });
});

describe('keys API: changing keys', () => {
  const clock = new ManualClock(LEAP_DAY);
  let app: KeysTestApp;

  beforeAll(async () => {
    app = await startKeysTestApp({ clock });
  });
  afterAll(async () => {
    await app?.close();
  });
  beforeEach(() => clock.set(LEAP_DAY));

  it('disables a key: 200 disabled, KeyDisabled with the reason, and its secret then answers 401 key_disabled', async () => {
    const { key, secret } = await createKey(app, READER);
    await waitForAnswer(app, secret, 200);
    const reply = await app.call('POST', `/v1/keys/${key.id}/disable`, { reason: '  leaked in a log  ' });
    expect(reply.status).toBe(200);
    expect(keyOf(reply.body)).toMatchObject({ id: key.id, status: 'disabled', version: 2, expiresAt: key.expiresAt });
    const history = await historyOf(app, key.id);
    expect(history.map((e) => e.type)).toEqual(['KeyCreated', 'KeyDisabled']);
    expect(history[1]?.data).toEqual({ by: bootstrapKeyId(app.accountId), reason: 'leaked in a log' });
    await waitForAnswer(app, secret, 401, 'key_disabled');
  });

  it('answers 200 to disabling a disabled key and records nothing', async () => {
    const { key } = await createKey(app, READER);
    expect((await app.call('POST', `/v1/keys/${key.id}/disable`)).status).toBe(200);
    const again = await app.call('POST', `/v1/keys/${key.id}/disable`, { reason: 'again' });
    expect(again.status).toBe(200);
    expect(keyOf(again.body)).toMatchObject({ status: 'disabled', version: 2 });
    expect(await typesOf(app, key.id)).toEqual(['KeyCreated', 'KeyDisabled']);
  });

  it('enables a disabled key keeping its expiry, and its secret works again', async () => {
    const { key, secret } = await createKey(app, READER);
    await app.call('POST', `/v1/keys/${key.id}/disable`);
    await waitForAnswer(app, secret, 401, 'key_disabled');
    const reply = await app.call('POST', `/v1/keys/${key.id}/enable`);
    expect(reply.status).toBe(200);
    expect(keyOf(reply.body)).toMatchObject({ status: 'active', expiresAt: key.expiresAt, version: 3 });
    const history = await historyOf(app, key.id);
    expect(history.map((e) => e.type)).toEqual(['KeyCreated', 'KeyDisabled', 'KeyEnabled']);
    expect(history[2]?.data).toEqual({ by: bootstrapKeyId(app.accountId), expiresAt: key.expiresAt });
    await waitForAnswer(app, secret, 200);
  });

  it('enables a disabled key with a new expiry within one year', async () => {
    const { key } = await createKey(app, READER);
    await app.call('POST', `/v1/keys/${key.id}/disable`);
    const reply = await app.call('POST', `/v1/keys/${key.id}/enable`, { expiresAt: '2028-06-01T00:00:00Z' });
    expect(reply.status).toBe(200);
    expect(keyOf(reply.body)).toMatchObject({ status: 'active', expiresAt: '2028-06-01T00:00:00.000Z' });
  });

  it('refuses to enable a disabled key with an expiry beyond one year (422 expiry_too_far) and leaves it disabled', async () => {
    const { key } = await createKey(app, READER);
    await app.call('POST', `/v1/keys/${key.id}/disable`);
    expectProblem(await app.call('POST', `/v1/keys/${key.id}/enable`, { expiresAt: '2029-03-01T00:00:00Z' }), 422, 'expiry_too_far');
    expect((await getKey(app, key.id)).status).toBe('disabled');
  });

  it('refuses to enable an active key with 409 key_already_active, with an empty body or a new expiry, and records nothing', async () => {
    const { key } = await createKey(app, READER);
    expectProblem(await app.call('POST', `/v1/keys/${key.id}/enable`), 409, 'key_already_active');
    expectProblem(await app.call('POST', `/v1/keys/${key.id}/enable`, {}), 409, 'key_already_active');
    expectProblem(await app.call('POST', `/v1/keys/${key.id}/enable`, { expiresAt: '2028-06-01T00:00:00Z' }), 409, 'key_already_active');
    expect(await typesOf(app, key.id)).toEqual(['KeyCreated']);
  });

  it('changes the expiry to any instant within one year, the boundary included', async () => {
    const { key } = await createKey(app, READER);
    const earlier = await app.call('PUT', `/v1/keys/${key.id}/expiry`, { expiresAt: '2028-04-01T08:30:00+02:00' });
    expect(earlier.status).toBe(200);
    expect(keyOf(earlier.body)).toMatchObject({ expiresAt: '2028-04-01T06:30:00.000Z', status: 'active', version: 2 });
    const latest = await app.call('PUT', `/v1/keys/${key.id}/expiry`, { expiresAt: '2029-02-28T12:00:00Z' });
    expect(keyOf(latest.body).expiresAt).toBe('2029-02-28T12:00:00.000Z');
    const history = await historyOf(app, key.id);
    expect(history.map((e) => e.type)).toEqual(['KeyCreated', 'KeyExpiryChanged', 'KeyExpiryChanged']);
    expect(history[1]?.data).toEqual({ by: bootstrapKeyId(app.accountId), expiresAt: '2028-04-01T06:30:00.000Z' });
    expect((await getKey(app, key.id)).expiresAt).toBe('2029-02-28T12:00:00.000Z');
  });

  it('refuses a changed expiry too far ahead, in the past or not a date, and keeps the old one', async () => {
    const { key } = await createKey(app, READER);
    expectProblem(await app.call('PUT', `/v1/keys/${key.id}/expiry`, { expiresAt: '2029-02-28T12:00:00.001Z' }), 422, 'expiry_too_far');
    expectProblem(await app.call('PUT', `/v1/keys/${key.id}/expiry`, { expiresAt: '2028-01-01T00:00:00Z' }), 422, 'expiry_in_past');
    expectProblem(await app.call('PUT', `/v1/keys/${key.id}/expiry`, { expiresAt: 'soon' }), 422, 'invalid_expiry');
    expect((await getKey(app, key.id)).expiresAt).toBe(key.expiresAt);
    expect(await typesOf(app, key.id)).toEqual(['KeyCreated']);
  });

  it('records nothing when the expiry is set to the value it has', async () => {
    const { key } = await createKey(app, READER);
    const reply = await app.call('PUT', `/v1/keys/${key.id}/expiry`, { expiresAt: key.expiresAt });
    expect(reply.status).toBe(200);
    expect(await typesOf(app, key.id)).toEqual(['KeyCreated']);
  });

  it("changes a key's permissions, sorted and deduplicated, and what the key may do follows", async () => {
    const { key, secret } = await createKey(app, READER);
    await waitForAnswer(app, secret, 200);
    const reply = await app.call('PUT', `/v1/keys/${key.id}/permissions`, { permissions: ['tickets:read', 'devices:read', 'devices:read'] });
    expect(reply.status).toBe(200);
    expect(keyOf(reply.body)).toMatchObject({ permissions: ['devices:read', 'tickets:read'], version: 2 });
    const history = await historyOf(app, key.id);
    expect(history[1]).toMatchObject({ type: 'KeyPermissionsChanged', data: { permissions: ['devices:read', 'tickets:read'] } });
    await waitForAnswer(app, secret, 403, 'permission_denied');
    await app.call('PUT', `/v1/keys/${key.id}/permissions`, { permissions: ['keys:read'] });
    await waitForAnswer(app, secret, 200);
  });

  it('records nothing when the permissions are set to the set the key has', async () => {
    const { key } = await createKey(app, { kind: 'private', name: 'x', permissions: ['devices:read', 'tickets:read'] });
    expect((await app.call('PUT', `/v1/keys/${key.id}/permissions`, { permissions: ['tickets:read', 'devices:read'] })).status).toBe(200);
    expect(await typesOf(app, key.id)).toEqual(['KeyCreated']);
  });

  it('refuses changed permissions outside the catalog, empty, or private on a public key, and keeps the old ones', async () => {
    const pub = await createKey(app, { kind: 'public', name: 'widget', permissions: ['sessions:create'] });
    expectProblem(await app.call('PUT', `/v1/keys/${pub.key.id}/permissions`, { permissions: ['sessions:create', 'sessions:read'] }), 422, 'permission_not_public_safe');
    expectProblem(await app.call('PUT', `/v1/keys/${pub.key.id}/permissions`, { permissions: ['sessions:nuke'] }), 422, 'unknown_permission');
    expectProblem(await app.call('PUT', `/v1/keys/${pub.key.id}/permissions`, { permissions: [] }), 422, 'permissions_required');
    expect((await getKey(app, pub.key.id)).permissions).toEqual(['sessions:create']);
    expect(await typesOf(app, pub.key.id)).toEqual(['KeyCreated']);
  });

  it('refuses with 403 permission_escalation when a narrower manager key grants a permission it lacks, on create and on change', async () => {
    const manager = await createKey(app, { kind: 'private', name: 'key manager', permissions: ['keys:manage', 'keys:read'] });
    await waitForAnswer(app, manager.secret, 200);
    const before = await eventCount(app);

    const create = await app.call('POST', '/v1/keys', { kind: 'private', name: 'wider', permissions: ['keys:read', 'devices:read'] }, manager.secret);
    expectProblem(create, 403, 'permission_escalation');
    expect(create.body['permissions']).toEqual(['devices:read']);

    const target = await createKey(app, READER);
    const afterTarget = await eventCount(app);
    expect(afterTarget).toBe(before + 1);
    expectProblem(await app.call('PUT', `/v1/keys/${target.key.id}/permissions`, { permissions: ['devices:read'] }, manager.secret), 403, 'permission_escalation');
    expect(await eventCount(app)).toBe(afterTarget);
  });

  it('lets a narrower manager key grant what it holds itself', async () => {
    const manager = await createKey(app, { kind: 'private', name: 'key manager', permissions: ['keys:manage', 'keys:read'] });
    await waitForAnswer(app, manager.secret, 200);
    const { key } = await createKey(app, { kind: 'private', name: 'made by manager', permissions: ['keys:read'] }, manager.secret);
    expect(key.createdBy).toBe(manager.key.id);
    const changed = await app.call('PUT', `/v1/keys/${key.id}/permissions`, { permissions: ['keys:read', 'keys:manage'] }, manager.secret);
    expect(changed.status).toBe(200);
  });

  it('changes allowed IPs to canonical entries, and the key answers 403 ip_not_allowed from elsewhere until its address is allowed', async () => {
    const { key, secret } = await createKey(app, READER);
    await waitForAnswer(app, secret, 200);
    const reply = await app.call('PUT', `/v1/keys/${key.id}/allowed-ips`, { allowedIps: ['192.0.2.77/24', '2001:DB8::1/32'] });
    expect(reply.status).toBe(200);
    expect(keyOf(reply.body)).toMatchObject({ allowedIps: ['192.0.2.0/24', '2001:db8::/32'], version: 2 });
    expect((await historyOf(app, key.id))[1]).toMatchObject({ type: 'KeyAllowedIpsChanged', data: { allowedIps: ['192.0.2.0/24', '2001:db8::/32'] } });
    await waitForAnswer(app, secret, 403, 'ip_not_allowed');

    await app.call('PUT', `/v1/keys/${key.id}/allowed-ips`, { allowedIps: ['127.1.2.3/8'] });
    await waitForAnswer(app, secret, 200);
    expect((await getKey(app, key.id)).allowedIps).toEqual(['127.0.0.0/8']);

    await app.call('PUT', `/v1/keys/${key.id}/allowed-ips`, { allowedIps: [] });
    expect((await getKey(app, key.id)).allowedIps).toEqual([]);
  });

  it('refuses a malformed changed allowed IP with 422 invalid_ip and keeps the old list', async () => {
    const { key } = await createKey(app, { ...READER, allowedIps: ['192.0.2.1'] });
    expectProblem(await app.call('PUT', `/v1/keys/${key.id}/allowed-ips`, { allowedIps: ['10.0.0.0/8', '10.0.0.256'] }), 422, 'invalid_ip');
    expect((await getKey(app, key.id)).allowedIps).toEqual(['192.0.2.1']);
  });

  it('records nothing when the allowed IPs are set to the same addresses in another spelling', async () => {
    const { key } = await createKey(app, { ...READER, allowedIps: ['2001:db8::1', '10.0.0.0/8'] });
    expect((await app.call('PUT', `/v1/keys/${key.id}/allowed-ips`, { allowedIps: ['10.9.9.9/8', '2001:DB8:0::1'] })).status).toBe(200);
    expect(await typesOf(app, key.id)).toEqual(['KeyCreated']);
  });

  it('revokes a key for good: 200 revoked, its secret answers 401 key_revoked, and every later change answers 409 key_revoked', async () => {
    const { key, secret } = await createKey(app, READER);
    await waitForAnswer(app, secret, 200);
    const reply = await app.call('POST', `/v1/keys/${key.id}/revoke`, { reason: 'employee left' });
    expect(reply.status).toBe(200);
    expect(keyOf(reply.body)).toMatchObject({ status: 'revoked', version: 2 });
    expect((await historyOf(app, key.id))[1]).toMatchObject({ type: 'KeyRevoked', data: { reason: 'employee left' } });
    await waitForAnswer(app, secret, 401, 'key_revoked');

    const refused: [string, string, unknown][] = [
      ['POST', 'enable', {}],
      ['POST', 'enable', { expiresAt: '2028-06-01T00:00:00Z' }],
      ['POST', 'rotate', {}],
      ['POST', 'disable', {}],
      ['PUT', 'expiry', { expiresAt: '2028-06-01T00:00:00Z' }],
      ['PUT', 'permissions', { permissions: ['devices:read'] }],
      ['PUT', 'allowed-ips', { allowedIps: ['10.0.0.0/8'] }],
    ];
    for (const [method, action, body] of refused) {
      const r = await app.call(method, `/v1/keys/${key.id}/${action}`, body);
      expect({ action, status: r.status, code: r.body['code'] }).toEqual({ action, status: 409, code: 'key_revoked' });
      expect(r.body['secret']).toBeUndefined();
    }
    expect(await typesOf(app, key.id)).toEqual(['KeyCreated', 'KeyRevoked']);
    expect((await getKey(app, key.id)).status).toBe('revoked');
  });

  it('answers 200 to revoking a revoked key and records nothing', async () => {
    const { key } = await createKey(app, READER);
    await app.call('POST', `/v1/keys/${key.id}/revoke`);
    const again = await app.call('POST', `/v1/keys/${key.id}/revoke`, { reason: 'twice' });
    expect(again.status).toBe(200);
    expect(keyOf(again.body)).toMatchObject({ status: 'revoked', version: 2 });
    expect(await typesOf(app, key.id)).toEqual(['KeyCreated', 'KeyRevoked']);
  });

  it('revokes a disabled key', async () => {
    const { key } = await createKey(app, READER);
    await app.call('POST', `/v1/keys/${key.id}/disable`);
    expect(keyOf((await app.call('POST', `/v1/keys/${key.id}/revoke`)).body).status).toBe('revoked');
  });
});

describe('keys API: expiry', () => {
  const clock = new ManualClock(LEAP_DAY);
  let app: KeysTestApp;

  beforeAll(async () => {
    app = await startKeysTestApp({ clock });
  });
  afterAll(async () => {
    await app?.close();
  });
  beforeEach(() => clock.set(LEAP_DAY));

  /** A key expiring in one hour; the clock is then moved two hours on. */
  async function expiredKey(): Promise<{ key: KeyDto; secret: string }> {
    const made = await createKey(app, { ...READER, expiresAt: '2028-02-29T13:00:00Z' });
    await waitForAnswer(app, made.secret, 200);
    clock.advance(2 * HOUR);
    return made;
  }

  async function waitForKeyExpired(keyId: string): Promise<HistoryEntry[]> {
    return waitFor('the expiry scheduler to record KeyExpired', async () => {
      const history = await historyOf(app, keyId);
      return history.some((e) => e.type === 'KeyExpired') && history;
    }, { timeoutMs: 15_000 });
  }

  it('stops a key the moment its expiry passes: GET shows expired and its secret answers 401 key_expired', async () => {
    const { key, secret } = await createKey(app, { ...READER, expiresAt: '2028-02-29T13:00:00Z' });
    await waitForAnswer(app, secret, 200);
    clock.set('2028-02-29T12:59:59.999Z');
    expect((await probe(app, secret)).status).toBe(200);
    expect((await getKey(app, key.id)).status).toBe('active');
    clock.set('2028-02-29T13:00:00.000Z');
    expectProblem(await probe(app, secret), 401, 'key_expired');
    expect((await getKey(app, key.id)).status).toBe('expired');
  });

  it('records KeyExpired from the expiry scheduler exactly once, although it sweeps every second', async () => {
    const scheduler = app.app.get(ExpiryScheduler);
    const sweeps = jest.spyOn(scheduler, 'sweep');
    try {
      const { key } = await expiredKey();
      const history = await waitForKeyExpired(key.id);
      const expired = history.filter((e) => e.type === 'KeyExpired');
      expect(expired).toHaveLength(1);
      expect(expired[0]?.data).toEqual({ expiredAt: '2028-02-29T13:00:00.000Z' });
      // Let the scheduler sweep at least twice more with the key still overdue by the clock.
      const seen = sweeps.mock.calls.length;
      await waitFor('two more expiry sweeps', () => sweeps.mock.calls.length >= seen + 2, { timeoutMs: 15_000 });
      expect((await typesOf(app, key.id)).filter((t) => t === 'KeyExpired')).toHaveLength(1);
      expect(await getKey(app, key.id)).toMatchObject({ status: 'expired', version: 2 });
    } finally {
      sweeps.mockRestore();
    }
  });

  it('refuses to enable an expired key without a new expiry (422 expiry_required) and makes it active with one', async () => {
    const { key, secret } = await expiredKey();
    await waitForKeyExpired(key.id);
    expectProblem(await app.call('POST', `/v1/keys/${key.id}/enable`), 422, 'expiry_required');
    expectProblem(await app.call('POST', `/v1/keys/${key.id}/enable`, { expiresAt: '2028-02-29T12:30:00Z' }), 422, 'expiry_in_past');
    const reply = await app.call('POST', `/v1/keys/${key.id}/enable`, { expiresAt: '2028-03-31T00:00:00Z' });
    expect(reply.status).toBe(200);
    expect(keyOf(reply.body)).toMatchObject({ status: 'active', expiresAt: '2028-03-31T00:00:00.000Z' });
    expect(await typesOf(app, key.id)).toEqual(['KeyCreated', 'KeyExpired', 'KeyEnabled']);
    await waitForAnswer(app, secret, 200);
  });

  it('enables a disabled key whose expiry has passed only with a new expiry', async () => {
    const made = await createKey(app, { ...READER, expiresAt: '2028-02-29T13:00:00Z' });
    await app.call('POST', `/v1/keys/${made.key.id}/disable`);
    clock.advance(2 * HOUR);
    await waitForKeyExpired(made.key.id);
    expect((await getKey(app, made.key.id)).status).toBe('expired');
    expectProblem(await app.call('POST', `/v1/keys/${made.key.id}/enable`), 422, 'expiry_required');
    const reply = await app.call('POST', `/v1/keys/${made.key.id}/enable`, { expiresAt: '2028-03-01T00:00:00Z' });
    expect(keyOf(reply.body)).toMatchObject({ status: 'active', expiresAt: '2028-03-01T00:00:00.000Z' });
  });

  it('keeps an expired key expired when its expiry is changed, until it is enabled', async () => {
    const { key } = await expiredKey();
    await waitForKeyExpired(key.id);
    const reply = await app.call('PUT', `/v1/keys/${key.id}/expiry`, { expiresAt: '2028-03-15T00:00:00Z' });
    expect(reply.status).toBe(200);
    expect(keyOf(reply.body)).toMatchObject({ status: 'expired', expiresAt: '2028-03-15T00:00:00.000Z' });
    expect((await getKey(app, key.id)).status).toBe('expired');
    const enabled = await app.call('POST', `/v1/keys/${key.id}/enable`);
    expect(keyOf(enabled.body)).toMatchObject({ status: 'active', expiresAt: '2028-03-15T00:00:00.000Z' });
  });

  it('measures the one year of a new expiry from the moment of the change', async () => {
    const { key } = await createKey(app, { ...READER, expiresAt: '2028-12-31T00:00:00Z' });
    clock.set('2028-06-15T00:00:00Z');
    const reply = await app.call('PUT', `/v1/keys/${key.id}/expiry`, { expiresAt: '2029-06-15T00:00:00Z' });
    expect(reply.status).toBe(200);
    expectProblem(await app.call('PUT', `/v1/keys/${key.id}/expiry`, { expiresAt: '2029-06-15T00:00:00.001Z' }), 422, 'expiry_too_far');
  });

  it('refuses to rotate an expired key with 409 key_expired, before and after KeyExpired is recorded', async () => {
    const { key } = await expiredKey();
    expectProblem(await app.call('POST', `/v1/keys/${key.id}/rotate`, {}), 409, 'key_expired');
    await waitForKeyExpired(key.id);
    const reply = await app.call('POST', `/v1/keys/${key.id}/rotate`, { gracePeriodSeconds: 60 });
    expectProblem(reply, 409, 'key_expired');
    expect(reply.body['secret']).toBeUndefined();
    expect(await typesOf(app, key.id)).toEqual(['KeyCreated', 'KeyExpired']);
  });
});

describe('keys API: rotation', () => {
  const clock = new ManualClock(LEAP_DAY);
  let app: KeysTestApp;

  beforeAll(async () => {
    app = await startKeysTestApp({ clock });
  });
  afterAll(async () => {
    await app?.close();
  });
  beforeEach(() => clock.set(LEAP_DAY));

  it('rotates a key: a new secret shown once with no-store, every other setting kept, the old secret stops at once without grace', async () => {
    const made = await createKey(app, { ...READER, name: 'rotated', allowedIps: ['127.0.0.0/8'], expiresAt: '2028-12-01T00:00:00Z' });
    await waitForAnswer(app, made.secret, 200);
    clock.set('2028-03-01T00:00:00Z');
    const { key, secret, reply } = await rotate(app, made.key.id);
    expect(reply.headers.get('cache-control')).toBe('no-store');
    expect(secret).toMatch(/^kw_sk_/);
    expect(secret).not.toBe(made.secret);
    expect(key).toMatchObject({
      id: made.key.id, name: 'rotated', permissions: ['keys:read'], allowedIps: ['127.0.0.0/8'], expiresAt: '2028-12-01T00:00:00.000Z',
      status: 'active', tokenPrefix: secret.slice(0, 12), lastRotatedAt: '2028-03-01T00:00:00.000Z', previousSecretValidUntil: null, version: 2,
    });
    await waitForAnswer(app, secret, 200);
    expectProblem(await probe(app, made.secret), 401, 'unknown_key');
    const got = await app.call('GET', `/v1/keys/${key.id}`);
    expectNoSecretIn(got.body, secret);
    expect(keyOf(got.body).tokenPrefix).toBe(secret.slice(0, 12));
  });

  it('keeps the old secret working through the grace period and stops it when the grace ends', async () => {
    const made = await createKey(app, READER);
    await waitForAnswer(app, made.secret, 200);
    const { key, secret } = await rotate(app, made.key.id, 3600);
    expect(key.previousSecretValidUntil).toBe('2028-02-29T13:00:00.000Z');
    await waitForAnswer(app, secret, 200);
    expect((await probe(app, made.secret)).status).toBe(200);
    clock.set('2028-02-29T12:59:59.999Z');
    expect((await probe(app, made.secret)).status).toBe(200);
    clock.set('2028-02-29T13:00:00.000Z');
    expectProblem(await probe(app, made.secret), 401, 'unknown_key');
    expect((await probe(app, secret)).status).toBe(200);
    expect((await getKey(app, key.id)).previousSecretValidUntil).toBeNull();
  });

  it('accepts a grace period from 0 to 604800 seconds and refuses 604801 and -1 with 422 grace_period_out_of_range', async () => {
    const { key } = await createKey(app, READER);
    expect((await rotate(app, key.id, 0)).key.previousSecretValidUntil).toBeNull();
    expect((await rotate(app, key.id, 604_800)).key.previousSecretValidUntil).toBe('2028-03-07T12:00:00.000Z');
    const before = await typesOf(app, key.id);
    for (const gracePeriodSeconds of [604_801, -1]) {
      const reply = await app.call('POST', `/v1/keys/${key.id}/rotate`, { gracePeriodSeconds });
      expectProblem(reply, 422, 'grace_period_out_of_range');
      expect(reply.body['secret']).toBeUndefined();
    }
    expect(await typesOf(app, key.id)).toEqual(before);
    expect(before).toEqual(['KeyCreated', 'KeyRotated', 'KeyRotated']);
  });

  it('keeps only the latest replaced secret when a key is rotated twice', async () => {
    const first = await createKey(app, READER);
    await waitForAnswer(app, first.secret, 200);
    const second = await rotate(app, first.key.id, 3600);
    const third = await rotate(app, first.key.id, 3600);
    expect(new Set([first.secret, second.secret, third.secret]).size).toBe(3);
    expect(third.key).toMatchObject({ version: 3, tokenPrefix: third.secret.slice(0, 12) });
    await waitForAnswer(app, third.secret, 200);
    expect((await probe(app, second.secret)).status).toBe(200);
    expectProblem(await probe(app, first.secret), 401, 'unknown_key');
    expect(await typesOf(app, first.key.id)).toEqual(['KeyCreated', 'KeyRotated', 'KeyRotated']);
  });

  it('rotates a public key to a new public secret', async () => {
    const { key } = await createKey(app, { kind: 'public', name: 'widget', permissions: ['tickets:create'] });
    const rotated = await rotate(app, key.id);
    expect(rotated.secret).toMatch(/^kw_pk_/);
    expect(rotated.key.kind).toBe('public');
  });

  it('rotates a disabled key, which stays disabled', async () => {
    const { key } = await createKey(app, READER);
    await app.call('POST', `/v1/keys/${key.id}/disable`);
    expect((await rotate(app, key.id)).key.status).toBe('disabled');
  });

  it('leaves secret hashes out of the history, while the stored events keep them', async () => {
    const made = await createKey(app, READER);
    const rotated = await rotate(app, made.key.id, 60);
    const history = await app.call('GET', `/v1/keys/${made.key.id}/events`);
    expectNoSecretIn(history.body, rotated.secret);
    expect(JSON.stringify(history.body)).not.toContain(hashToken(made.secret));
    expect(JSON.stringify(history.body)).not.toContain(hashToken(rotated.secret));
    const entries = itemsOf(history) as HistoryEntry[];
    expect(entries[1]).toMatchObject({ type: 'KeyRotated', data: { tokenPrefix: rotated.secret.slice(0, 12), graceUntil: '2028-02-29T12:01:00.000Z' } });
    const stored = await app.app.get(MongoEventStore).readStream(made.key.id);
    expect(stored[1]?.data).toMatchObject({ secretHash: hashToken(rotated.secret), previousSecretHash: hashToken(made.secret) });
  });
});

describe('keys API: reading keys', () => {
  const clock = new ManualClock(LEAP_DAY);
  let app: KeysTestApp;

  beforeAll(async () => {
    app = await startKeysTestApp({ clock });
  });
  afterAll(async () => {
    await app?.close();
  });
  beforeEach(() => clock.set(LEAP_DAY));

  async function listAll(query: string): Promise<KeyDto[]> {
    return itemsOf(await app.call('GET', `/v1/keys?limit=100${query}`)).map(keyOf);
  }

  it('lists every event of a key in version order, with when and by whom', async () => {
    const { key } = await createKey(app, READER);
    clock.advance(1000);
    await app.call('POST', `/v1/keys/${key.id}/disable`, { reason: 'pause' });
    clock.advance(1000);
    await app.call('POST', `/v1/keys/${key.id}/enable`);
    clock.advance(1000);
    await app.call('PUT', `/v1/keys/${key.id}/permissions`, { permissions: ['keys:read', 'devices:read'] });
    await app.call('PUT', `/v1/keys/${key.id}/allowed-ips`, { allowedIps: ['10.0.0.0/8'] });
    await app.call('PUT', `/v1/keys/${key.id}/expiry`, { expiresAt: '2028-05-01T00:00:00Z' });
    await rotate(app, key.id);
    await app.call('POST', `/v1/keys/${key.id}/revoke`);
    const history = await historyOf(app, key.id);
    expect(history.map((e) => [e.version, e.type])).toEqual([
      [1, 'KeyCreated'], [2, 'KeyDisabled'], [3, 'KeyEnabled'], [4, 'KeyPermissionsChanged'], [5, 'KeyAllowedIpsChanged'],
      [6, 'KeyExpiryChanged'], [7, 'KeyRotated'], [8, 'KeyRevoked'],
    ]);
    expect(history.slice(0, 4).map((e) => e.occurredAt)).toEqual([
      '2028-02-29T12:00:00.000Z', '2028-02-29T12:00:01.000Z', '2028-02-29T12:00:02.000Z', '2028-02-29T12:00:03.000Z',
    ]);
    for (const e of history.slice(1)) expect(e.data['by']).toBe(bootstrapKeyId(app.accountId));
    expect(history[0]?.data).toMatchObject({ kind: 'private', name: 'reader', permissions: ['keys:read'], createdBy: bootstrapKeyId(app.accountId) });
    expect((await getKey(app, key.id)).version).toBe(8);
  });

  it('answers 404 key_not_found for a key id that does not exist, to get and to history', async () => {
    expectProblem(await app.call('GET', '/v1/keys/key_doesnotexist00'), 404, 'key_not_found');
    expectProblem(await app.call('GET', '/v1/keys/key_doesnotexist00/events'), 404, 'key_not_found');
  });

  it('filters the list by kind', async () => {
    const pub = await createKey(app, { kind: 'public', name: 'widget', permissions: ['sessions:create'] });
    const priv = await createKey(app, READER);
    const publicKeys = await listAll('&kind=public');
    expect(publicKeys.every((k) => k.kind === 'public')).toBe(true);
    expect(publicKeys.map((k) => k.id)).toContain(pub.key.id);
    const privateKeys = await listAll('&kind=private');
    expect(privateKeys.every((k) => k.kind === 'private')).toBe(true);
    expect(privateKeys.map((k) => k.id)).toEqual(expect.arrayContaining([priv.key.id, bootstrapKeyId(app.accountId)]));
    expect(privateKeys.map((k) => k.id)).not.toContain(pub.key.id);
  });

  it('filters the list by status, with expired decided by the clock before KeyExpired is recorded', async () => {
    const soon = await createKey(app, { ...READER, name: 'soon', expiresAt: '2028-02-29T13:00:00Z' });
    const later = await createKey(app, { ...READER, name: 'later' });
    const disabled = await createKey(app, { ...READER, name: 'disabled' });
    await app.call('POST', `/v1/keys/${disabled.key.id}/disable`);
    const revoked = await createKey(app, { ...READER, name: 'revoked' });
    await app.call('POST', `/v1/keys/${revoked.key.id}/revoke`);

    const ids = async (status: string): Promise<string[]> => {
      const keys = await listAll(`&status=${status}`);
      expect(keys.every((k) => k.status === status)).toBe(true);
      return keys.map((k) => k.id);
    };
    expect(await ids('active')).toEqual(expect.arrayContaining([soon.key.id, later.key.id]));
    expect(await ids('expired')).not.toContain(soon.key.id);

    clock.set('2028-02-29T13:00:00Z');
    const active = await ids('active');
    expect(active).toContain(later.key.id);
    expect(active).not.toContain(soon.key.id);
    const expired = await ids('expired');
    expect(expired).toContain(soon.key.id);
    expect(expired).not.toContain(later.key.id);
    const disabledIds = await ids('disabled');
    expect(disabledIds).toContain(disabled.key.id);
    expect(disabledIds).not.toContain(revoked.key.id);
    const revokedIds = await ids('revoked');
    expect(revokedIds).toContain(revoked.key.id);
    expect(revokedIds).not.toContain(disabled.key.id);
  });

  it('paginates newest first with limit and nextCursor, without duplicates or gaps, even among keys made at the same instant', async () => {
    const made: string[] = [];
    clock.set('2028-03-01T00:00:00Z');
    for (let i = 0; i < 4; i++) made.push((await createKey(app, { ...READER, name: `same instant ${i}` })).key.id);
    clock.set('2028-03-01T00:00:01Z');
    for (let i = 0; i < 3; i++) made.push((await createKey(app, { ...READER, name: `next second ${i}` })).key.id);

    const everything = await listAll('');
    expect(everything.length).toBeLessThan(100);
    const paged: KeyDto[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const reply: Reply = await app.call('GET', `/v1/keys?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      const items = itemsOf(reply).map(keyOf);
      expect(items.length).toBeLessThanOrEqual(3);
      paged.push(...items);
      const next = reply.body['nextCursor'];
      cursor = typeof next === 'string' ? next : null;
      if (next !== null) expect(typeof next).toBe('string');
      pages++;
    } while (cursor !== null && pages < 100);

    const ids = paged.map((k) => k.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(everything.map((k) => k.id));
    expect(ids).toEqual(expect.arrayContaining(made));
    expect(pages).toBe(Math.ceil(everything.length / 3));
    const order = paged.map((k) => [k.createdAt, k.id] as const);
    for (let i = 1; i < order.length; i++) {
      const [prev, cur] = [order[i - 1]!, order[i]!];
      expect(prev[0] > cur[0] || (prev[0] === cur[0] && prev[1] > cur[1])).toBe(true);
    }
  });

  it('answers the last page with nextCursor null', async () => {
    const reply = await app.call('GET', '/v1/keys?limit=100');
    expect(reply.body['nextCursor']).toBeNull();
  });

  it.each([
    ['garbage', 'garbage'],
    ['JSON that is not a cursor', Buffer.from('{"createdAt":"2028-01-01"}').toString('base64url')],
    ['a cursor with a bad date', Buffer.from('["not a date","key_abcd"]').toString('base64url')],
    ['a cursor with an operator for an id', Buffer.from('["2028-01-01T00:00:00Z",{"$gt":""}]').toString('base64url')],
  ])('refuses %s as cursor with 400 invalid_cursor', async (_what, cursor) => {
    expectProblem(await app.call('GET', `/v1/keys?cursor=${encodeURIComponent(cursor)}`), 400, 'invalid_cursor');
  });
});

describe('keys API: authentication, authorization and accounts', () => {
  const clock = new ManualClock(LEAP_DAY);
  let app: KeysTestApp;
  let otherSecret: string;

  beforeAll(async () => {
    app = await startKeysTestApp({ clock });
    const other = await bootstrapAdminKey(app.app.get<KeyAggregates>(KEY_AGGREGATES), 'acc_other', 'other');
    if (!other.created) throw new Error('expected a new admin key for acc_other');
    otherSecret = other.secret;
    await waitForAnswer(app, otherSecret, 200);
  });
  afterAll(async () => {
    await app?.close();
  });
  beforeEach(() => clock.set(LEAP_DAY));

  it('answers 401 missing_key without a key', async () => {
    expectProblem(await rawFetch(app, '/v1/keys', {}), 401, 'missing_key');
  });

  it.each([
    ['not in the key format', 'not-a-key'],
    ['with a wrong kind prefix', `kw_xk_${generateToken('private').slice(6)}`],
    ['cut short by one character', generateToken('private').slice(0, -1)],
  ])('answers 401 malformed_key for a key %s', async (_what, token) => {
    expectProblem(await rawFetch(app, '/v1/keys', { authorization: `Bearer ${token}` }), 401, 'malformed_key');
  });

  it('answers 401 malformed_key for a key whose checksum does not match', async () => {
    const token = generateToken('private');
    const last = token.at(-1) === 'A' ? 'B' : 'A';
    expectProblem(await rawFetch(app, '/v1/keys', { authorization: `Bearer ${token.slice(0, -1)}${last}` }), 401, 'malformed_key');
  });

  it('answers 401 unknown_key for a well-formed key nobody issued', async () => {
    expectProblem(await app.call('GET', '/v1/keys', undefined, generateToken('private')), 401, 'unknown_key');
  });

  it('accepts the key in X-API-Key as well as in Authorization: Bearer', async () => {
    expect((await rawFetch(app, '/v1/keys', { 'x-api-key': app.adminSecret })).status).toBe(200);
    expect((await rawFetch(app, '/v1/keys', { authorization: `bearer  ${app.adminSecret} ` })).status).toBe(200);
  });

  it('refuses a public key on key management with 403 public_key_not_allowed', async () => {
    const { secret } = await createKey(app, { kind: 'public', name: 'widget', permissions: ['sessions:create'] });
    await waitUntilKnown(app, secret);
    expectProblem(await app.call('GET', '/v1/keys', undefined, secret), 403, 'public_key_not_allowed');
    expectProblem(await app.call('POST', '/v1/keys', { kind: 'public', name: 'x', permissions: ['sessions:create'] }, secret), 403, 'public_key_not_allowed');
  });

  it('refuses a private key without keys:read on reads with 403 permission_denied', async () => {
    const { key, secret } = await createKey(app, { kind: 'private', name: 'devices only', permissions: ['devices:read'] });
    await waitUntilKnown(app, secret);
    expectProblem(await app.call('GET', '/v1/keys', undefined, secret), 403, 'permission_denied');
    expectProblem(await app.call('GET', `/v1/keys/${key.id}`, undefined, secret), 403, 'permission_denied');
    expectProblem(await app.call('GET', `/v1/keys/${key.id}/events`, undefined, secret), 403, 'permission_denied');
  });

  it('refuses a read-only key on every management command with 403 permission_denied and writes nothing', async () => {
    const reader = await createKey(app, READER);
    await waitForAnswer(app, reader.secret, 200);
    const { key } = reader;
    const before = await eventCount(app);
    const commands: [string, string, unknown][] = [
      ['POST', '/v1/keys', { kind: 'private', name: 'x', permissions: ['keys:read'] }],
      ['POST', `/v1/keys/${key.id}/disable`, {}],
      ['POST', `/v1/keys/${key.id}/enable`, {}],
      ['PUT', `/v1/keys/${key.id}/expiry`, { expiresAt: '2028-06-01T00:00:00Z' }],
      ['PUT', `/v1/keys/${key.id}/permissions`, { permissions: ['keys:read'] }],
      ['PUT', `/v1/keys/${key.id}/allowed-ips`, { allowedIps: [] }],
      ['POST', `/v1/keys/${key.id}/rotate`, {}],
      ['POST', `/v1/keys/${key.id}/revoke`, {}],
    ];
    for (const [method, path, body] of commands) {
      const r = await app.call(method, path, body, reader.secret);
      expect({ path, status: r.status, code: r.body['code'] }).toEqual({ path, status: 403, code: 'permission_denied' });
    }
    expect(await eventCount(app)).toBe(before);
  });

  it("answers 404 key_not_found for another account's key, to reads and to every command, exactly as for a missing key, and changes nothing", async () => {
    const { key } = await createKey(app, READER);
    const missing = await app.call('GET', '/v1/keys/key_doesnotexist00', undefined, otherSecret);
    expectProblem(missing, 404, 'key_not_found');
    const before = await eventCount(app);
    const requests: [string, string, unknown][] = [
      ['GET', '', undefined],
      ['GET', '/events', undefined],
      ['POST', '/disable', {}],
      ['POST', '/enable', {}],
      ['PUT', '/expiry', { expiresAt: '2028-06-01T00:00:00Z' }],
      ['PUT', '/permissions', { permissions: ['devices:read'] }],
      ['PUT', '/allowed-ips', { allowedIps: ['10.0.0.0/8'] }],
      ['POST', '/rotate', {}],
      ['POST', '/revoke', {}],
    ];
    for (const [method, action, body] of requests) {
      const r = await app.call(method, `/v1/keys/${key.id}${action}`, body, otherSecret);
      expect({ action, status: r.status, code: r.body['code'], secret: r.body['secret'] }).toEqual({ action, status: 404, code: 'key_not_found', secret: undefined });
      expect(r.body['title']).toBe(missing.body['title']);
    }
    expect(await eventCount(app)).toBe(before);
    expect(await getKey(app, key.id)).toMatchObject({ status: 'active', version: 1 });
  });

  it("never lists another account's keys", async () => {
    const { key } = await createKey(app, READER);
    const theirs = itemsOf(await app.call('GET', '/v1/keys?limit=100', undefined, otherSecret)).map(keyOf);
    expect(theirs.every((k) => k.accountId === 'acc_other')).toBe(true);
    expect(theirs.map((k) => k.id)).toContain(bootstrapKeyId('acc_other'));
    expect(theirs.map((k) => k.id)).not.toContain(key.id);
    const ours = itemsOf(await app.call('GET', '/v1/keys?limit=100')).map(keyOf);
    expect(ours.every((k) => k.accountId === app.accountId)).toBe(true);
  });

  it("creates keys in the calling key's account", async () => {
    const { key } = await createKey(app, READER, otherSecret);
    expect(key.accountId).toBe('acc_other');
    expectProblem(await app.call('GET', `/v1/keys/${key.id}`), 404, 'key_not_found');
  });
});
