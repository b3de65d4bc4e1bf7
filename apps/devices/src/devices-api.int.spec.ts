import { MongoEventStore } from '@keyward/event-store';
import type { GuardedRoute } from '@keyward/testing';
import { expectKeyRequired, expectPermissionRequired, expectPrivateOnly, expectProblem, problemFields, rebuildProjection } from '@keyward/testing';
import type { DevicesTestApp, Reply } from './testing/devices-test-app.spec-helper';
import { ACCOUNT, OTHER_ACCOUNT, publishTechnicians, readOwnTopic, startDevicesTestApp } from './testing/devices-test-app.spec-helper';

// The Device API end to end in one process, on the real Kafka and FerretDB: every route's
// success, its validation, authorization (401/403/404) and the read model rebuilt by replay.

type Json = Record<string, unknown>;

const MISSING_ID = 'dev_doesNotExist00000000';

describe('devices API', () => {
  let app: DevicesTestApp;
  let seq = 0;

  const register = async (body: Json = {}, secret?: string): Promise<Json> => {
    const reply = await app.call('POST', '/v1/devices', { body: { name: `Device ${++seq}`, os: 'linux', hostname: `host-${seq}.example.com`, ...body }, ...(secret ? { secret } : {}) });
    if (reply.status !== 201) throw new Error(`register answered ${reply.status} ${reply.text}`);
    return reply.body;
  };
  const idOf = (device: Json): string => String(device['id']);

  const eventsOf = async (id: string): Promise<{ type: string; data: unknown }[]> =>
    (await app.app.get(MongoEventStore).readStream(id)).map((e) => ({ type: e.type, data: e.data }));

  beforeAll(async () => {
    app = await startDevicesTestApp();
    // The owners the specs below name, as the technicians service would have published them.
    await publishTechnicians(app, [
      ...['tech_someone0001', 'tech_filterOwner1', 'tech_firstOwner', 'tech_secondOwner', 'tech_replayOwner'].map((id) => ({ id })),
      { id: 'tech_otherAccount1', accountId: OTHER_ACCOUNT },
      { id: 'tech_deactivated1', deactivated: true },
    ]);
  }, 120_000);

  afterAll(async () => {
    await app?.dispose();
  });

  describe('POST /v1/devices', () => {
    it('registers a device and answers 201 with its view, values normalised', async () => {
      const reply = await app.call('POST', '/v1/devices', {
        body: { name: ' Reception PC ', os: 'Windows', hostname: 'Reception-01.Example.com.', tags: ['Front-Desk', 'site:paris', 'front-desk'], ownerTechnicianId: 'tech_someone0001' },
      });
      expect(reply.status).toBe(201);
      const id = idOf(reply.body);
      expect(id).toMatch(/^dev_[A-Za-z0-9]{20}$/);
      expect(reply.body).toEqual({
        id, accountId: ACCOUNT, name: 'Reception PC', os: 'windows', hostname: 'reception-01.example.com', tags: ['front-desk', 'site:paris'],
        ownerTechnicianId: 'tech_someone0001', status: 'active', createdAt: expect.any(String), updatedAt: reply.body['createdAt'], removedAt: null, version: 1,
      });
      expect(await eventsOf(id)).toEqual([{
        type: 'DeviceRegistered',
        data: { name: 'Reception PC', os: 'windows', hostname: 'reception-01.example.com', tags: ['front-desk', 'site:paris'], ownerTechnicianId: 'tech_someone0001', by: expect.stringMatching(/^key_/) },
      }]);
      expect((await app.call('GET', `/v1/devices/${id}`)).body).toEqual(reply.body);
    });

    it('defaults to no tags and no owner, and takes an explicit null owner', async () => {
      expect(await register()).toMatchObject({ tags: [], ownerTechnicianId: null });
      expect(await register({ ownerTechnicianId: null, tags: [] })).toMatchObject({ tags: [], ownerTechnicianId: null });
    });

    it.each([
      ['no technician has', 'tech_neverRegistered', 'unknown_technician'],
      ['is another account\'s technician', 'tech_otherAccount1', 'unknown_technician'],
      ['is deactivated', 'tech_deactivated1', 'technician_deactivated'],
    ])('refuses an owner that %s with 422, on register and on update, and writes nothing', async (_what, ownerTechnicianId, code) => {
      const before = await app.app.get(MongoEventStore).events.countDocuments();
      expectProblem(await app.call('POST', '/v1/devices', { body: { name: 'Owned', os: 'linux', hostname: 'owned.example.com', ownerTechnicianId } }), 422, code);
      const id = idOf(await register());
      expectProblem(await app.call('PATCH', `/v1/devices/${id}`, { body: { ownerTechnicianId } }), 422, code);
      expect(await app.app.get(MongoEventStore).events.countDocuments()).toBe(before + 1);
    });

    it.each([
      ['an unsupported os', { os: 'beos' }, 'unsupported_os'],
      ['a hostname with an underscore', { hostname: 'my_host' }, 'invalid_hostname'],
      ['a hostname with an empty label', { hostname: 'a..example.com' }, 'invalid_hostname'],
      ['a hostname over 253 characters', { hostname: `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}` }, 'invalid_hostname'],
      ['a tag with a space', { tags: ['two words'] }, 'invalid_tag'],
      ['a tag of 41 characters', { tags: ['x'.repeat(41)] }, 'invalid_tag'],
      ['21 distinct tags', { tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, 'too_many_tags'],
      ['an owner that is not a technician id', { ownerTechnicianId: 'dev_abcdef' }, 'invalid_owner_technician_id'],
      ['a blank name', { name: '   ' }, 'invalid_name'],
    ])('answers 422 to %s', async (_what, body, code) => {
      const before = await app.app.get(MongoEventStore).events.countDocuments();
      expectProblem(await app.call('POST', '/v1/devices', { body: { name: 'D', os: 'linux', hostname: 'h', ...body } }), 422, code);
      expect(await app.app.get(MongoEventStore).events.countDocuments()).toBe(before);
    });

    it('accepts 20 tags, and 21 given when two are the same', async () => {
      const tags = Array.from({ length: 20 }, (_, i) => `t${String(i).padStart(2, '0')}`);
      expect((await register({ tags }))['tags']).toEqual(tags);
      expect((await register({ tags: [...tags, 'T00'] }))['tags']).toEqual(tags);
    });

    it.each([
      ['no name', { os: 'linux', hostname: 'h' }, ['name']],
      ['no os', { name: 'D', hostname: 'h' }, ['os']],
      ['no hostname', { name: 'D', os: 'linux' }, ['hostname']],
      ['a number for a hostname', { name: 'D', os: 'linux', hostname: 12 }, ['hostname']],
      ['tags that are not an array', { name: 'D', os: 'linux', hostname: 'h', tags: 'prod' }, ['tags']],
      ['a tag that is not a string', { name: 'D', os: 'linux', hostname: 'h', tags: ['ok', 3] }, ['tags']],
      ['null tags', { name: 'D', os: 'linux', hostname: 'h', tags: null }, ['tags']],
      ['an owner that is a number', { name: 'D', os: 'linux', hostname: 'h', ownerTechnicianId: 5 }, ['ownerTechnicianId']],
      ['a name over 200 characters', { name: 'x'.repeat(201), os: 'linux', hostname: 'h' }, ['name']],
      ['an unknown field', { name: 'D', os: 'linux', hostname: 'h', status: 'removed' }, ['status']],
    ])('answers 400 validation_failed to %s', async (_what, body, fields) => {
      const reply = await app.call('POST', '/v1/devices', { body });
      expectProblem(reply, 400, 'validation_failed');
      expect(problemFields(reply)).toEqual(fields);
    });

    it('answers 400 to a body that is not a JSON object, and 413 to an oversized one', async () => {
      expectProblem(await app.call('POST', '/v1/devices', { body: '{"name":' }), 400, 'malformed_json');
      expect((await app.call('POST', '/v1/devices', { body: '[]' })).status).toBe(400);
      expectProblem(await app.call('POST', '/v1/devices', { body: { name: 'D', os: 'linux', hostname: 'h', tags: ['x'.repeat(70_000)] } }), 413, 'payload_too_large');
    });
  });

  describe('GET /v1/devices/:id', () => {
    it('answers a device of the caller\'s account, and 404 device_not_found for a missing one', async () => {
      const made = await register();
      const reply = await app.call('GET', `/v1/devices/${idOf(made)}`, { secret: app.keys.reader });
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual(made);
      expectProblem(await app.call('GET', `/v1/devices/${MISSING_ID}`), 404, 'device_not_found');
    });

    it('answers 404 device_not_found for another account\'s device, exactly like a missing one', async () => {
      const theirs = await register({}, app.keys.other);
      const reply = await app.call('GET', `/v1/devices/${idOf(theirs)}`);
      expectProblem(reply, 404, 'device_not_found');
      expect(Object.keys(reply.body).sort()).toEqual(Object.keys((await app.call('GET', `/v1/devices/${MISSING_ID}`)).body).sort());
    });

    it.each(['tech_abcdefgh', 'dev_', 'dev_abc', 'dev_abc.def', `dev_${'a'.repeat(65)}`])('answers 400 invalid_device_id to the id %s', async (id) => {
      expectProblem(await app.call('GET', `/v1/devices/${id}`), 400, 'invalid_device_id');
    });
  });

  describe('GET /v1/devices', () => {
    const search = async (query: string, secret?: string): Promise<Json> => {
      const reply = await app.call('GET', `/v1/devices?${query}`, secret ? { secret } : {});
      expect({ status: reply.status, body: reply.status === 200 ? 'ok' : reply.body }).toEqual({ status: 200, body: 'ok' });
      return reply.body;
    };
    const ids = (page: Json): string[] => (page['items'] as Json[]).map((d) => String(d['id']));

    it('pages through the account\'s devices newest first, without overlap, and stops with a null cursor', async () => {
      const made: string[] = [];
      for (let i = 0; i < 5; i++) made.push(idOf(await register()));
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
      const order = all.map((d) => `${String(d['createdAt'])} ${String(d['id'])}`);
      expect(new Set(order).size).toBe(order.length);
      // Newest first (ties broken by id): the five just registered lead.
      expect([...order].sort().reverse()).toEqual(order);
      expect(new Set(all.slice(0, 5).map((d) => d['id']))).toEqual(new Set(made));
      expect(all.length).toBe(((await search('limit=100'))['items'] as Json[]).length);
      expect((await search(''))['items']).toHaveLength(Math.min(20, all.length));
    });

    it('shows only the caller\'s account', async () => {
      const theirs = idOf(await register({}, app.keys.other));
      const mine = idOf(await register());
      expect(ids(await search('limit=100'))).toContain(mine);
      expect(ids(await search('limit=100'))).not.toContain(theirs);
      const others = await search('limit=100&includeRemoved=true', app.keys.other);
      expect(ids(others)).toContain(theirs);
      expect(ids(others)).not.toContain(mine);
      expect((others['items'] as Json[]).every((d) => d['accountId'] === OTHER_ACCOUNT)).toBe(true);
    });

    it('filters by os, tag and owner, alone and together', async () => {
      const mac = idOf(await register({ os: 'macos', tags: ['filter-test', 'design'], ownerTechnicianId: 'tech_filterOwner1' }));
      const ios = idOf(await register({ os: 'ios', tags: ['filter-test'], ownerTechnicianId: 'tech_filterOwner1' }));
      const android = idOf(await register({ os: 'android', tags: ['filter-test', 'design'] }));
      expect(ids(await search('tag=filter-test'))).toEqual([android, ios, mac]);
      expect(ids(await search('tag=DESIGN'))).toEqual([android, mac]);
      expect(ids(await search('tag=filter-test&os=macos'))).toEqual([mac]);
      expect(ids(await search('ownerTechnicianId=tech_filterOwner1'))).toEqual([ios, mac]);
      expect(ids(await search('ownerTechnicianId=tech_filterOwner1&tag=design'))).toEqual([mac]);
      expect(ids(await search('tag=filter-test&os=windows'))).toEqual([]);
      expect(ids(await search('tag=filter-test', app.keys.other))).toEqual([]);
    });

    it('finds by a case-insensitive substring of the name or the hostname, taking the text literally', async () => {
      const byName = idOf(await register({ name: 'Warehouse Scanner', tags: ['q-test'] }));
      const byHost = idOf(await register({ name: 'Something', hostname: 'scanner-02.depot.example', tags: ['q-test'] }));
      const odd = idOf(await register({ name: 'Odd (.*) one', tags: ['q-test'] }));
      expect(ids(await search('q=SCANNER&tag=q-test'))).toEqual([byHost, byName]);
      expect(ids(await search('q=depot.EXAMPLE'))).toEqual([byHost]);
      expect(ids(await search(`q=${encodeURIComponent('.*')}`))).toEqual([odd]);
      expect(ids(await search('q=warehouse', app.keys.other))).toEqual([]);
    });

    it('leaves removed devices out unless includeRemoved=true', async () => {
      const kept = idOf(await register({ tags: ['removal-test'] }));
      const removed = idOf(await register({ tags: ['removal-test'] }));
      expect((await app.call('DELETE', `/v1/devices/${removed}`)).status).toBe(200);
      expect(ids(await search('tag=removal-test'))).toEqual([kept]);
      expect(ids(await search('tag=removal-test&includeRemoved=false'))).toEqual([kept]);
      const all = await search('tag=removal-test&includeRemoved=true');
      expect(ids(all)).toEqual([removed, kept]);
      expect((all['items'] as Json[]).map((d) => d['status'])).toEqual(['removed', 'active']);
      expect((await search('limit=100'))['items']).toEqual(expect.not.arrayContaining([expect.objectContaining({ status: 'removed' })]));
    });

    it.each([
      ['limit=0', 'validation_failed'],
      ['limit=101', 'validation_failed'],
      ['limit=abc', 'validation_failed'],
      ['os=beos', 'validation_failed'],
      ['includeRemoved=yes', 'validation_failed'],
      ['includeRemoved=1', 'validation_failed'],
      ['ownerTechnicianId=dev_abcdef', 'validation_failed'],
      [`tag=${'x'.repeat(41)}`, 'validation_failed'],
      ['tag=a&tag=b', 'validation_failed'],
      ['status=removed', 'validation_failed'],
      ['cursor=%%%', 'invalid_cursor'],
    ])('answers ?%s with 400 %s', async (query, code) => {
      expectProblem(await app.call('GET', `/v1/devices?${query}`), 400, code);
    });
  });

  describe('PATCH /v1/devices/:id', () => {
    it('changes the given fields, records only what changed and answers the new view', async () => {
      const made = await register({ os: 'windows', tags: ['old'], ownerTechnicianId: 'tech_firstOwner' });
      const id = idOf(made);
      const reply = await app.call('PATCH', `/v1/devices/${id}`, { body: { name: 'Renamed', os: 'WINDOWS', tags: ['New', 'old'], ownerTechnicianId: null } });
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ id, name: 'Renamed', os: 'windows', tags: ['new', 'old'], ownerTechnicianId: null, createdAt: made['createdAt'], version: 2 });
      const moved = await app.call('PATCH', `/v1/devices/${id}`, { body: { hostname: 'moved.example.com', ownerTechnicianId: 'tech_secondOwner' } });
      expect(moved.body).toMatchObject({ hostname: 'moved.example.com', ownerTechnicianId: 'tech_secondOwner', version: 3 });
      expect((await eventsOf(id)).slice(1)).toEqual([
        { type: 'DeviceUpdated', data: { name: 'Renamed', tags: ['new', 'old'], ownerTechnicianId: null, by: expect.any(String) } },
        { type: 'DeviceUpdated', data: { hostname: 'moved.example.com', ownerTechnicianId: 'tech_secondOwner', by: expect.any(String) } },
      ]);
      expect((await app.call('GET', `/v1/devices/${id}`)).body).toEqual(moved.body);
    });

    it('records nothing and answers the device unchanged when nothing differs', async () => {
      const made = await register({ tags: ['a', 'b'] });
      const reply = await app.call('PATCH', `/v1/devices/${idOf(made)}`, { body: { tags: ['B', 'a', 'a'], hostname: String(made['hostname']).toUpperCase() } });
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual(made);
      expect(await eventsOf(idOf(made))).toHaveLength(1);
    });

    it('answers 422 nothing_to_update to an empty body, and the domain codes to invalid values', async () => {
      const id = idOf(await register());
      expectProblem(await app.call('PATCH', `/v1/devices/${id}`, { body: {} }), 422, 'nothing_to_update');
      expectProblem(await app.call('PATCH', `/v1/devices/${id}`, { body: { os: 'plan9' } }), 422, 'unsupported_os');
      expectProblem(await app.call('PATCH', `/v1/devices/${id}`, { body: { hostname: '-bad' } }), 422, 'invalid_hostname');
      expectProblem(await app.call('PATCH', `/v1/devices/${id}`, { body: { tags: ['Bad Tag'] } }), 422, 'invalid_tag');
      expectProblem(await app.call('PATCH', `/v1/devices/${id}`, { body: { ownerTechnicianId: 'someone' } }), 422, 'invalid_owner_technician_id');
      expect(await eventsOf(id)).toHaveLength(1);
    });

    it('answers 409 device_removed for a removed device', async () => {
      const id = idOf(await register());
      await app.call('DELETE', `/v1/devices/${id}`);
      expectProblem(await app.call('PATCH', `/v1/devices/${id}`, { body: { name: 'Back again' } }), 409, 'device_removed');
    });

    it.each([
      ['a null name', { name: null }, ['name']],
      ['a null os', { os: null }, ['os']],
      ['a null hostname', { hostname: null }, ['hostname']],
      ['null tags', { tags: null }, ['tags']],
      ['a number for a name', { name: 1 }, ['name']],
      ['an unknown field', { status: 'active' }, ['status']],
    ])('answers 400 validation_failed to %s', async (_what, body, fields) => {
      const id = idOf(await register());
      const reply = await app.call('PATCH', `/v1/devices/${id}`, { body });
      expectProblem(reply, 400, 'validation_failed');
      expect(problemFields(reply)).toEqual(fields);
    });

    it('answers 404 for a missing device and for another account\'s, and changes nothing there', async () => {
      const theirs = await register({}, app.keys.other);
      expectProblem(await app.call('PATCH', `/v1/devices/${idOf(theirs)}`, { body: { name: 'Taken over' } }), 404, 'device_not_found');
      expectProblem(await app.call('PATCH', `/v1/devices/${MISSING_ID}`, { body: { name: 'Nobody' } }), 404, 'device_not_found');
      expectProblem(await app.call('PATCH', '/v1/devices/nope', { body: { name: 'Nobody' } }), 400, 'invalid_device_id');
      expect((await app.call('GET', `/v1/devices/${idOf(theirs)}`, { secret: app.keys.other })).body).toEqual(theirs);
    });
  });

  describe('DELETE /v1/devices/:id', () => {
    it('removes the device and answers 200 with the removed view, still readable by id', async () => {
      const made = await register();
      const id = idOf(made);
      const reply = await app.call('DELETE', `/v1/devices/${id}`);
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({ ...made, status: 'removed', removedAt: expect.any(String), updatedAt: reply.body['removedAt'], version: 2 });
      expect((await app.call('GET', `/v1/devices/${id}`, { secret: app.keys.reader })).body).toEqual(reply.body);
      expect((await eventsOf(id))[1]).toEqual({ type: 'DeviceRemoved', data: { by: expect.any(String) } });
    });

    it('is idempotent: removing again answers 200 with the same view and records nothing', async () => {
      const id = idOf(await register());
      const first = await app.call('DELETE', `/v1/devices/${id}`);
      const second = await app.call('DELETE', `/v1/devices/${id}`);
      expect(second.status).toBe(200);
      expect(second.body).toEqual(first.body);
      expect(await eventsOf(id)).toHaveLength(2);
    });

    it('answers 404 for another account\'s device and leaves it active, and 400 to a bad id', async () => {
      const theirs = await register({}, app.keys.other);
      expectProblem(await app.call('DELETE', `/v1/devices/${idOf(theirs)}`), 404, 'device_not_found');
      expectProblem(await app.call('DELETE', `/v1/devices/${MISSING_ID}`), 404, 'device_not_found');
      expectProblem(await app.call('DELETE', '/v1/devices/dev_x'), 400, 'invalid_device_id');
      expect((await app.call('GET', `/v1/devices/${idOf(theirs)}`, { secret: app.keys.other })).body['status']).toBe('active');
    });
  });

  describe('authorization on every route', () => {
    let id: string;
    beforeAll(async () => {
      id = idOf(await register());
    });

    const routes = (): GuardedRoute[] => [
      { method: 'POST', path: '/v1/devices', permission: 'write', body: { name: 'Refused', os: 'linux', hostname: 'refused' } },
      { method: 'GET', path: '/v1/devices', permission: 'read' },
      { method: 'GET', path: `/v1/devices/${id}`, permission: 'read' },
      { method: 'PATCH', path: `/v1/devices/${id}`, permission: 'write', body: { name: 'Refused' } },
      { method: 'DELETE', path: `/v1/devices/${id}`, permission: 'write' },
    ];

    it('answers 401 missing_key without a key and 401 unknown_key to a key no account has', async () => {
      await expectKeyRequired(app.call, routes());
    });

    it('answers 403 permission_denied to a key without the route\'s permission', async () => {
      await expectPermissionRequired(app.call, routes(), { api: 'devices', reader: app.keys.reader, writer: app.keys.writer, unrelated: app.keys.unrelated });
    });

    it('answers 403 public_key_not_allowed to a public key on every route, all of them private', async () => {
      await expectPrivateOnly(app.call, routes(), app.keys.publicKey);
      expect(await eventsOf(id)).toHaveLength(1);
    });
  });

  it('publishes its events to devices.events in the shared envelope, keyed by the device id', async () => {
    const id = idOf(await register({ name: 'On the wire' }));
    await app.call('PATCH', `/v1/devices/${id}`, { body: { tags: ['wire'] } });
    await app.call('DELETE', `/v1/devices/${id}`);
    const seen = await readOwnTopic(app.config, (events) => events.filter((e) => e.event.aggregateId === id).length >= 3);
    const mine = seen.filter((e) => e.event.aggregateId === id);
    expect(mine.map((e) => [e.key, e.event.type, e.event.version, e.event.accountId, e.event.schemaVersion])).toEqual([
      [id, 'DeviceRegistered', 1, ACCOUNT, 1],
      [id, 'DeviceUpdated', 2, ACCOUNT, 1],
      [id, 'DeviceRemoved', 3, ACCOUNT, 1],
    ]);
    expect(mine[1]?.event.data).toEqual({ tags: ['wire'], by: expect.any(String) });
  });

  it('rebuilds the read model by replaying the event store into views equal to the live ones', async () => {
    const a = idOf(await register({ tags: ['replay'], ownerTechnicianId: 'tech_replayOwner' }));
    const b = idOf(await register({ tags: ['replay'] }));
    await app.call('PATCH', `/v1/devices/${a}`, { body: { tags: ['replay', 'changed'], ownerTechnicianId: null } });
    await app.call('DELETE', `/v1/devices/${b}`);
    const list = (secret?: string): Promise<Reply> => app.call('GET', '/v1/devices?limit=100&includeRemoved=true', secret ? { secret } : {});
    const before = await list();
    const otherBefore = await list(app.keys.other);

    const job = await rebuildProjection(app.url, 'devices');
    expect(job['state']).toBe('succeeded');
    expect(job['result']).toMatchObject({ matchedLive: true, gaps: 0 });
    expect((job['result'] as Json)['items']).toBeGreaterThanOrEqual(2);

    expect((await list()).body).toEqual(before.body);
    expect((await list(app.keys.other)).body).toEqual(otherBefore.body);
    expect((await app.call('GET', `/v1/devices/${b}`)).body['status']).toBe('removed');
    expect(ids((await app.call('GET', '/v1/devices?tag=replay')).body)).toEqual([a]);

    function ids(page: Json): string[] {
      return (page['items'] as Json[]).map((d) => String(d['id']));
    }
  });
});
