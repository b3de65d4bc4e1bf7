import { MongoEventStore } from '@keyward/event-store';
import type { GuardedRoute } from '@keyward/testing';
import { expectKeyRequired, expectPermissionRequired, expectPrivateOnly, expectProblem, rebuildProjection } from '@keyward/testing';
import type { TechniciansTestApp } from './testing/technicians-test-app.spec-helper';
import { ACCOUNT, OTHER_ACCOUNT, readOwnTopic, startTechniciansTestApp } from './testing/technicians-test-app.spec-helper';

// The Technician API end to end in one process, on the real Kafka and FerretDB: every route's
// success, its validation, authorization (401/403/404) and the read model rebuilt by replay.

type Json = Record<string, unknown>;

const MISSING_ID = 'tech_doesNotExist0000000';

describe('technicians API', () => {
  let app: TechniciansTestApp;
  let seq = 0;

  /** A unique email per call, so tests do not collide on uniqueness. */
  const email = (local = 'tech'): string => `${local}.${++seq}@example.com`;

  const register = async (body: Json = {}, secret?: string): Promise<Json> => {
    const reply = await app.call('POST', '/v1/technicians', { body: { name: 'Ada Lovelace', email: email(), ...body }, ...(secret ? { secret } : {}) });
    if (reply.status !== 201) throw new Error(`register answered ${reply.status} ${reply.text}`);
    return reply.body;
  };

  const eventsOf = async (id: string): Promise<{ type: string; data: unknown }[]> =>
    (await app.app.get(MongoEventStore).readStream(id)).map((e) => ({ type: e.type, data: e.data }));

  beforeAll(async () => {
    app = await startTechniciansTestApp();
  }, 120_000);

  afterAll(async () => {
    await app?.dispose();
  });

  describe('POST /v1/technicians', () => {
    it('registers a technician and answers 201 with its view, name trimmed and email lower-cased', async () => {
      const reply = await app.call('POST', '/v1/technicians', { body: { name: '  Grace Hopper ', email: 'Grace.Hopper@Example.com' } });
      expect(reply.status).toBe(201);
      const id = String(reply.body['id']);
      expect(id).toMatch(/^tech_[A-Za-z0-9]{20}$/);
      expect(reply.body).toEqual({
        id, accountId: ACCOUNT, name: 'Grace Hopper', email: 'grace.hopper@example.com', status: 'active',
        createdAt: expect.any(String), updatedAt: reply.body['createdAt'], deactivatedAt: null, version: 1,
      });
      expect(new Date(String(reply.body['createdAt'])).toISOString()).toBe(reply.body['createdAt']);
      expect(await eventsOf(id)).toEqual([{ type: 'TechnicianRegistered', data: { name: 'Grace Hopper', email: 'grace.hopper@example.com', by: expect.stringMatching(/^key_/) } }]);
      expect((await app.call('GET', `/v1/technicians/${id}`)).body).toEqual(reply.body);
    });

    it('answers 409 technician_email_taken for an email an active technician of the account has, whatever its case', async () => {
      const address = email('dup');
      const first = await register({ email: address });
      const reply = await app.call('POST', '/v1/technicians', { body: { name: 'Copy', email: address.toUpperCase() } });
      expectProblem(reply, 409, 'technician_email_taken');
      expect(reply.body['technicianId']).toBe(first['id']);
    });

    it('frees the email once its technician is deactivated, and never counts another account\'s technicians', async () => {
      const address = email('reuse');
      const first = await register({ email: address });
      const elsewhere = await app.call('POST', '/v1/technicians', { secret: app.keys.other, body: { name: 'Other account', email: address } });
      expect(elsewhere.status).toBe(201);
      expect(elsewhere.body['accountId']).toBe(OTHER_ACCOUNT);
      expect((await app.call('POST', `/v1/technicians/${String(first['id'])}/deactivate`, { body: {} })).status).toBe(200);
      const again = await app.call('POST', '/v1/technicians', { body: { name: 'Successor', email: address } });
      expect(again.status).toBe(201);
      expect(again.body['id']).not.toBe(first['id']);
    });

    it.each([
      ['no name', { email: 'a@example.com' }, ['name']],
      ['no email', { name: 'A' }, ['email']],
      ['a number for a name', { name: 42, email: 'a@example.com' }, ['name']],
      ['a null name', { name: null, email: 'a@example.com' }, ['name']],
      ['an email that is not one', { name: 'A', email: 'not-an-email' }, ['email']],
      ['an email in an array', { name: 'A', email: ['a@example.com'] }, ['email']],
      ['a name over 200 characters', { name: 'x'.repeat(201), email: 'a@example.com' }, ['name']],
      ['an unknown field', { name: 'A', email: 'a@example.com', status: 'deactivated' }, ['status']],
    ])('answers 400 validation_failed to %s', async (_what, body, fields) => {
      const reply = await app.call('POST', '/v1/technicians', { body });
      expectProblem(reply, 400, 'validation_failed');
      expect((reply.body['errors'] as { field: string }[]).map((e) => e.field)).toEqual(fields);
    });

    it('answers 422 invalid_name to a name that is blank once trimmed', async () => {
      expectProblem(await app.call('POST', '/v1/technicians', { body: { name: '   ', email: email() } }), 422, 'invalid_name');
    });

    it('answers 400 to a body that is not a JSON object, and 413 to an oversized one', async () => {
      expectProblem(await app.call('POST', '/v1/technicians', { body: '{"name": "A",' }), 400, 'malformed_json');
      expect((await app.call('POST', '/v1/technicians', { body: '[]' })).status).toBe(400);
      expect((await app.call('POST', '/v1/technicians', { body: '"text"' })).status).toBe(400);
      expectProblem(await app.call('POST', '/v1/technicians', { body: { name: 'A', email: email(), padding: 'x'.repeat(70_000) } }), 413, 'payload_too_large');
    });
  });

  describe('GET /v1/technicians/:id', () => {
    it('answers a technician of the caller\'s account, and 404 technician_not_found for a missing one', async () => {
      const made = await register();
      const reply = await app.call('GET', `/v1/technicians/${String(made['id'])}`, { secret: app.keys.reader });
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual(made);
      expectProblem(await app.call('GET', `/v1/technicians/${MISSING_ID}`), 404, 'technician_not_found');
    });

    it('answers 404 technician_not_found for another account\'s technician, exactly like a missing one', async () => {
      const theirs = await register({}, app.keys.other);
      const reply = await app.call('GET', `/v1/technicians/${String(theirs['id'])}`);
      expectProblem(reply, 404, 'technician_not_found');
      expect(Object.keys(reply.body).sort()).toEqual(Object.keys((await app.call('GET', `/v1/technicians/${MISSING_ID}`)).body).sort());
    });

    it.each(['dev_abcdefgh', 'tech_', 'tech_ab', 'tech_abc-def', `tech_${'a'.repeat(65)}`])('answers 400 invalid_technician_id to the id %s', async (id) => {
      expectProblem(await app.call('GET', `/v1/technicians/${id}`), 400, 'invalid_technician_id');
    });
  });

  describe('GET /v1/technicians', () => {
    const search = async (query: string, secret?: string): Promise<Json> => {
      const reply = await app.call('GET', `/v1/technicians?${query}`, secret ? { secret } : {});
      expect(reply.status).toBe(200);
      return reply.body;
    };
    const ids = (page: Json): string[] => (page['items'] as Json[]).map((t) => String(t['id']));

    it('pages through the account\'s technicians newest first, without overlap, and stops with a null cursor', async () => {
      const made: string[] = [];
      for (let i = 0; i < 5; i++) made.push(String((await register({ name: `Pager ${i}`, email: email('pager') }))['id']));
      const all: Json[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: Json = await search(`limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        expect((page['items'] as Json[]).length).toBeLessThanOrEqual(2);
        all.push(...(page['items'] as Json[]));
        cursor = page['nextCursor'] as string | null;
        pages++;
      } while (cursor !== null && pages < 100);
      const order = all.map((t) => `${String(t['createdAt'])} ${String(t['id'])}`);
      expect(new Set(order).size).toBe(order.length);
      // Newest first (ties broken by id): the five just registered lead.
      expect([...order].sort().reverse()).toEqual(order);
      expect(new Set(all.slice(0, 5).map((t) => t['id']))).toEqual(new Set(made));
      expect(all.length).toBe(((await search('limit=100'))['items'] as Json[]).length);
      expect((await search(''))['items']).toHaveLength(Math.min(20, all.length));
    });

    it('shows only the caller\'s account', async () => {
      const theirs = String((await register({}, app.keys.other))['id']);
      const mine = String((await register())['id']);
      const page = await search('limit=100');
      expect(ids(page)).toContain(mine);
      expect(ids(page)).not.toContain(theirs);
      expect((page['items'] as Json[]).every((t) => t['accountId'] === ACCOUNT)).toBe(true);
      expect(ids(await search('limit=100', app.keys.other))).not.toContain(mine);
    });

    it('filters by status', async () => {
      const gone = String((await register())['id']);
      await app.call('POST', `/v1/technicians/${gone}/deactivate`, { body: {} });
      const active = await search('status=active&limit=100');
      const deactivated = await search('status=deactivated&limit=100');
      expect(ids(deactivated)).toContain(gone);
      expect(ids(active)).not.toContain(gone);
      expect((active['items'] as Json[]).every((t) => t['status'] === 'active')).toBe(true);
      expect((deactivated['items'] as Json[]).every((t) => t['status'] === 'deactivated')).toBe(true);
    });

    it('finds by a case-insensitive substring of the name or the email, taking the text literally', async () => {
      const byName = String((await register({ name: 'Margaret Hamilton', email: email('mh') }))['id']);
      const byEmail = String((await register({ name: 'Someone', email: email('apollo.guidance') }))['id']);
      const odd = String((await register({ name: 'Dot.Star (.*) Person', email: email('odd') }))['id']);
      expect(ids(await search('q=HAMILTON'))).toEqual([byName]);
      expect(ids(await search('q=apollo.GUIDANCE'))).toEqual([byEmail]);
      expect(ids(await search(`q=${encodeURIComponent('(.*)')}`))).toEqual([odd]);
      expect(ids(await search(`q=${encodeURIComponent('.*')}`))).toEqual([odd]);
      expect(ids(await search('q=hamilton&status=deactivated'))).toEqual([]);
      expect(ids(await search('q=hamilton', app.keys.other))).toEqual([]);
    });

    it.each([
      ['limit=0', 'validation_failed'],
      ['limit=101', 'validation_failed'],
      ['limit=ten', 'validation_failed'],
      ['limit=1.5', 'validation_failed'],
      ['status=retired', 'validation_failed'],
      ['q=a&q=b', 'validation_failed'],
      [`q=${'x'.repeat(201)}`, 'validation_failed'],
      ['sort=name', 'validation_failed'],
      ['cursor=not-a-cursor', 'invalid_cursor'],
    ])('answers ?%s with 400 %s', async (query, code) => {
      expectProblem(await app.call('GET', `/v1/technicians?${query}`), 400, code);
    });
  });

  describe('PATCH /v1/technicians/:id', () => {
    it('changes the given fields, records only what changed and answers the new view', async () => {
      const made = await register({ name: 'Katherine', email: email('kj') });
      const id = String(made['id']);
      const address = email('katherine.johnson');
      const reply = await app.call('PATCH', `/v1/technicians/${id}`, { body: { name: 'Katherine Johnson', email: address.toUpperCase() } });
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ id, name: 'Katherine Johnson', email: address, status: 'active', createdAt: made['createdAt'], version: 2 });
      const renamed = await app.call('PATCH', `/v1/technicians/${id}`, { body: { name: 'K. Johnson', email: address } });
      expect(renamed.body).toMatchObject({ name: 'K. Johnson', version: 3 });
      expect((await eventsOf(id)).slice(1)).toEqual([
        { type: 'TechnicianUpdated', data: { name: 'Katherine Johnson', email: address, by: expect.any(String) } },
        { type: 'TechnicianUpdated', data: { name: 'K. Johnson', by: expect.any(String) } },
      ]);
      expect((await app.call('GET', `/v1/technicians/${id}`)).body).toEqual(renamed.body);
    });

    it('records nothing and answers the technician unchanged when nothing differs', async () => {
      const made = await register({ name: 'Unchanged' });
      const reply = await app.call('PATCH', `/v1/technicians/${String(made['id'])}`, { body: { name: ' Unchanged ', email: String(made['email']).toUpperCase() } });
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual(made);
      expect(await eventsOf(String(made['id']))).toHaveLength(1);
    });

    it('answers 422 nothing_to_update to an empty body', async () => {
      const made = await register();
      expectProblem(await app.call('PATCH', `/v1/technicians/${String(made['id'])}`, { body: {} }), 422, 'nothing_to_update');
    });

    it('answers 409 technician_email_taken when the new email is another active technician\'s, but lets the technician keep its own', async () => {
      const holder = await register();
      const mover = await register();
      const id = String(mover['id']);
      const reply = await app.call('PATCH', `/v1/technicians/${id}`, { body: { email: holder['email'] } });
      expectProblem(reply, 409, 'technician_email_taken');
      expect(reply.body['technicianId']).toBe(holder['id']);
      expect((await app.call('PATCH', `/v1/technicians/${id}`, { body: { email: mover['email'], name: 'Mover' } })).status).toBe(200);
    });

    it('answers 409 technician_deactivated for a deactivated technician', async () => {
      const made = await register();
      const id = String(made['id']);
      await app.call('POST', `/v1/technicians/${id}/deactivate`, { body: {} });
      expectProblem(await app.call('PATCH', `/v1/technicians/${id}`, { body: { name: 'Back again' } }), 409, 'technician_deactivated');
    });

    it.each([
      ['a null name', { name: null }, ['name']],
      ['a null email', { email: null }, ['email']],
      ['an invalid email', { email: 'nope' }, ['email']],
      ['a number for a name', { name: 7 }, ['name']],
      ['an unknown field', { status: 'active' }, ['status']],
    ])('answers 400 validation_failed to %s', async (_what, body, fields) => {
      const made = await register();
      const reply = await app.call('PATCH', `/v1/technicians/${String(made['id'])}`, { body });
      expectProblem(reply, 400, 'validation_failed');
      expect((reply.body['errors'] as { field: string }[]).map((e) => e.field)).toEqual(fields);
      expect(await eventsOf(String(made['id']))).toHaveLength(1);
    });

    it('answers 404 for a missing technician and for another account\'s, and changes nothing there', async () => {
      const theirs = await register({}, app.keys.other);
      const id = String(theirs['id']);
      expectProblem(await app.call('PATCH', `/v1/technicians/${id}`, { body: { name: 'Taken over' } }), 404, 'technician_not_found');
      expectProblem(await app.call('PATCH', `/v1/technicians/${MISSING_ID}`, { body: { name: 'Nobody' } }), 404, 'technician_not_found');
      expectProblem(await app.call('PATCH', '/v1/technicians/nope', { body: { name: 'Nobody' } }), 400, 'invalid_technician_id');
      expect((await app.call('GET', `/v1/technicians/${id}`, { secret: app.keys.other })).body).toEqual(theirs);
    });
  });

  describe('POST /v1/technicians/:id/deactivate', () => {
    it('deactivates with a reason kept in the event, and answers the deactivated view', async () => {
      const made = await register();
      const id = String(made['id']);
      const reply = await app.call('POST', `/v1/technicians/${id}/deactivate`, { body: { reason: ' left the team ' } });
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ id, status: 'deactivated', deactivatedAt: expect.any(String), version: 2 });
      expect(reply.body['updatedAt']).toBe(reply.body['deactivatedAt']);
      expect((await eventsOf(id))[1]).toEqual({ type: 'TechnicianDeactivated', data: { by: expect.any(String), reason: 'left the team' } });
    });

    it('is idempotent: deactivating again answers 200 with the same view and records nothing', async () => {
      const made = await register();
      const id = String(made['id']);
      const first = await app.call('POST', `/v1/technicians/${id}/deactivate`, { body: {} });
      const second = await app.call('POST', `/v1/technicians/${id}/deactivate`, { body: { reason: 'again' } });
      expect(second.status).toBe(200);
      expect(second.body).toEqual(first.body);
      expect(await eventsOf(id)).toHaveLength(2);
    });

    it('accepts a request without a body', async () => {
      const made = await register();
      const reply = await app.call('POST', `/v1/technicians/${String(made['id'])}/deactivate`);
      expect(reply.status).toBe(200);
      expect(reply.body['status']).toBe('deactivated');
    });

    it.each([
      ['a null reason', { reason: null }],
      ['a number for a reason', { reason: 3 }],
      ['a reason over 500 characters', { reason: 'x'.repeat(501) }],
      ['an unknown field', { force: true }],
    ])('answers 400 validation_failed to %s', async (_what, body) => {
      const made = await register();
      expectProblem(await app.call('POST', `/v1/technicians/${String(made['id'])}/deactivate`, { body }), 400, 'validation_failed');
      expect(await eventsOf(String(made['id']))).toHaveLength(1);
    });

    it('answers 404 for another account\'s technician and leaves it active', async () => {
      const theirs = await register({}, app.keys.other);
      const id = String(theirs['id']);
      expectProblem(await app.call('POST', `/v1/technicians/${id}/deactivate`, { body: {} }), 404, 'technician_not_found');
      expectProblem(await app.call('POST', `/v1/technicians/${MISSING_ID}/deactivate`, { body: {} }), 404, 'technician_not_found');
      expect((await app.call('GET', `/v1/technicians/${id}`, { secret: app.keys.other })).body['status']).toBe('active');
    });
  });

  describe('authorization on every route', () => {
    let id: string;
    beforeAll(async () => {
      id = String((await register())['id']);
    });

    const routes = (): GuardedRoute[] => [
      { method: 'POST', path: '/v1/technicians', permission: 'write', body: { name: 'Refused', email: email('refused') } },
      { method: 'GET', path: '/v1/technicians', permission: 'read' },
      { method: 'GET', path: `/v1/technicians/${id}`, permission: 'read' },
      { method: 'PATCH', path: `/v1/technicians/${id}`, permission: 'write', body: { name: 'Refused' } },
      { method: 'POST', path: `/v1/technicians/${id}/deactivate`, permission: 'write', body: {} },
    ];

    it('answers 401 missing_key without a key and 401 unknown_key to a key no account has', async () => {
      await expectKeyRequired(app.call, routes());
    });

    it('answers 403 permission_denied to a key without the route\'s permission', async () => {
      await expectPermissionRequired(app.call, routes(), { api: 'technicians', reader: app.keys.reader, writer: app.keys.writer, unrelated: app.keys.unrelated });
    });

    it('answers 403 public_key_not_allowed to a public key on every route, all of them private', async () => {
      await expectPrivateOnly(app.call, routes(), app.keys.publicKey);
      // Nothing refused was done.
      expect(await eventsOf(id)).toHaveLength(1);
    });
  });

  it('publishes its events to technicians.events in the shared envelope, keyed by the technician id', async () => {
    const made = await register({ name: 'On the wire' });
    const id = String(made['id']);
    await app.call('PATCH', `/v1/technicians/${id}`, { body: { name: 'Still on the wire' } });
    await app.call('POST', `/v1/technicians/${id}/deactivate`, { body: {} });
    const seen = await readOwnTopic(app.config, (events) => events.filter((e) => e.event.aggregateId === id).length >= 3);
    const mine = seen.filter((e) => e.event.aggregateId === id);
    expect(mine.map((e) => [e.key, e.event.type, e.event.version, e.event.accountId, e.event.schemaVersion])).toEqual([
      [id, 'TechnicianRegistered', 1, ACCOUNT, 1],
      [id, 'TechnicianUpdated', 2, ACCOUNT, 1],
      [id, 'TechnicianDeactivated', 3, ACCOUNT, 1],
    ]);
    expect(mine[1]?.event.data).toEqual({ name: 'Still on the wire', by: expect.any(String) });
  });

  it('rebuilds the read model by replaying the event store into views equal to the live ones', async () => {
    const a = String((await register({ name: 'Replay one' }))['id']);
    const b = String((await register({ name: 'Replay two' }))['id']);
    await app.call('PATCH', `/v1/technicians/${a}`, { body: { email: email('replayed') } });
    await app.call('POST', `/v1/technicians/${b}/deactivate`, { body: { reason: 'replay' } });
    const before = await app.call('GET', '/v1/technicians?limit=100');
    const otherBefore = await app.call('GET', '/v1/technicians?limit=100', { secret: app.keys.other });

    const job = await rebuildProjection(app.url, 'technicians');
    expect(job['state']).toBe('succeeded');
    expect(job['result']).toMatchObject({ matchedLive: true, gaps: 0 });
    expect((job['result'] as Json)['items']).toBeGreaterThanOrEqual(2);

    expect((await app.call('GET', '/v1/technicians?limit=100')).body).toEqual(before.body);
    expect((await app.call('GET', '/v1/technicians?limit=100', { secret: app.keys.other })).body).toEqual(otherBefore.body);
    expect((await app.call('GET', `/v1/technicians/${b}`)).body['status']).toBe('deactivated');
  });
});
