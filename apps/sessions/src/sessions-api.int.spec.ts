import { expectProblem, ManualClock } from '@keyward/testing';
import type { Reply } from './testing/sessions-test-app.spec-helper';
import { ACCOUNT, freshId, OTHER_ACCOUNT, SessionsTestApp, unknownKey } from './testing/sessions-test-app.spec-helper';

// The sessions API on the real Kafka and FerretDB: every route's success, refusals and scoping.
// Technicians, devices and tickets reach sessions only as contract events on their topics,
// published here as their services would; a clock this spec moves dates the sessions.

const JOIN_CODE = /^\d{3}-\d{3}$/;
const FULL_VIEW_FIELDS = [
  'accountId', 'code', 'createdAt', 'deviceId', 'endedAt', 'id', 'notes', 'outcome', 'startedAt', 'status', 'technicianId', 'ticketId', 'version',
];

describe('sessions API', () => {
  const clock = new ManualClock('2026-09-01T08:00:00.000Z');
  let app: SessionsTestApp;

  beforeAll(async () => {
    app = await SessionsTestApp.start({ clock });
  });
  afterAll(async () => {
    await app?.close();
  });

  /** A session of account A, started by a known technician. */
  async function activeSession(): Promise<{ id: string; technicianId: string }> {
    const technicianId = await app.knownTechnician();
    const s = await app.createSession();
    const started = await app.call('POST', `/v1/sessions/${s.id}/start`, { body: { technicianId } });
    if (started.status !== 200) throw new Error(`could not start: ${JSON.stringify(started.body)}`);
    return { id: s.id, technicianId };
  }

  describe('POST /v1/sessions', () => {
    it('opens a waiting session with a join code and answers a private caller with the full view', async () => {
      const [deviceId, ticketId] = [await app.knownDevice(), await app.knownTicket()];
      const reply = await app.call('POST', '/v1/sessions', { body: { deviceId, ticketId } });
      expect(reply.status).toBe(201);
      expect(Object.keys(reply.body).sort()).toEqual(FULL_VIEW_FIELDS);
      expect(reply.body).toMatchObject({
        accountId: ACCOUNT, deviceId, ticketId, technicianId: null, status: 'waiting', outcome: null, notes: null,
        createdAt: clock.now().toISOString(), startedAt: null, endedAt: null, version: 1,
      });
      expect(reply.body['id']).toMatch(/^ses_[A-Za-z0-9]{20}$/);
      expect(reply.body['code']).toMatch(JOIN_CODE);
      expect((await app.call('GET', `/v1/sessions/${String(reply.body['id'])}`)).body).toEqual(reply.body);
    });

    it('answers a public key with only the id, join code and status', async () => {
      const deviceId = await app.knownDevice();
      const reply = await app.call('POST', '/v1/sessions', { secret: app.keys.public.secret, body: { deviceId } });
      expect(reply.status).toBe(201);
      expect(Object.keys(reply.body).sort()).toEqual(['code', 'id', 'status']);
      expect(reply.body).toMatchObject({ status: 'waiting', code: expect.stringMatching(JOIN_CODE) });
      expect((await app.call('GET', `/v1/sessions/${String(reply.body['id'])}`)).body).toMatchObject({ deviceId, code: reply.body['code'] });
    });

    it('opens an ad-hoc session with neither device nor ticket', async () => {
      expect(await app.createSession({})).toMatchObject({ deviceId: null, ticketId: null, status: 'waiting' });
    });

    it('refuses a device it has not heard of with a 422 saying a retry will succeed, then opens once DeviceRegistered arrives', async () => {
      const deviceId = freshId('dev');
      const before = await app.eventCount();
      const refused = await app.call('POST', '/v1/sessions', { secret: app.keys.public.secret, body: { deviceId } });
      expectProblem(refused, 422, 'unknown_device');
      expect(String(refused.body['detail'])).toMatch(/retry shortly and the same request will succeed/);
      expect(refused.body['deviceId']).toBe(deviceId);
      expect(await app.eventCount()).toBe(before);
      await app.mirrored('devices', await app.publishDevice('DeviceRegistered', deviceId, 1, { name: 'pc', os: 'macos', hostname: 'mac', tags: ['desk'], ownerTechnicianId: null, by: 'key_x' }));
      expect((await app.call('POST', '/v1/sessions', { secret: app.keys.public.secret, body: { deviceId } })).status).toBe(201);
    });

    it('refuses a removed device, and a removal of a device it never saw registered, with device_removed', async () => {
      const deviceId = await app.knownDevice();
      await app.mirrored('devices', await app.publishDevice('DeviceRemoved', deviceId, 2, { by: 'key_x' }));
      expectProblem(await app.call('POST', '/v1/sessions', { body: { deviceId } }), 422, 'device_removed');
      const unseen = freshId('dev');
      await app.mirrored('devices', await app.publishDevice('DeviceRemoved', unseen, 3, { by: 'key_x' }));
      expectProblem(await app.call('POST', '/v1/sessions', { body: { deviceId: unseen } }), 422, 'device_removed');
    });

    it('refuses another account\'s device as unknown', async () => {
      const theirs = await app.knownDevice(OTHER_ACCOUNT);
      expectProblem(await app.call('POST', '/v1/sessions', { body: { deviceId: theirs } }), 422, 'unknown_device');
      expect((await app.call('POST', '/v1/sessions', { secret: app.keys.other.secret, body: { deviceId: theirs } })).status).toBe(201);
    });

    it('refuses a ticket it has not heard of yet with a clear 422, then opens the same request once TicketCreated arrives', async () => {
      const ticketId = freshId('tkt');
      const refused = await app.call('POST', '/v1/sessions', { secret: app.keys.public.secret, body: { ticketId } });
      expectProblem(refused, 422, 'unknown_ticket');
      expect(String(refused.body['detail'])).toMatch(/may not have reached the sessions service yet/);
      await app.mirrored('tickets', await app.publishTicket('TicketCreated', ticketId, 1, {
        reference: 'TKT-ABCDEF', requesterName: 'Ada', requesterEmail: 'ada@example.com', contact: null, problemDescription: 'p', deviceId: null, by: 'key_x',
      }));
      const reply = await app.call('POST', '/v1/sessions', { secret: app.keys.public.secret, body: { ticketId } });
      expect(reply.status).toBe(201);
    });

    it('opens sessions from an assigned or in-progress ticket, and refuses a closed one with 422 ticket_closed', async () => {
      const ticketId = await app.knownTicket();
      await app.mirrored('tickets', await app.publishTicket('TicketAssigned', ticketId, 2, { technicianId: 'tech_abcd', by: 'key_x' }));
      expect((await app.call('POST', '/v1/sessions', { body: { ticketId } })).status).toBe(201);
      await app.mirrored('tickets', await app.publishTicket('TicketInProgress', ticketId, 3, { sessionId: 'ses_abcd' }));
      expect((await app.call('POST', '/v1/sessions', { body: { ticketId } })).status).toBe(201);
      await app.mirrored('tickets', await app.publishTicket('TicketClosed', ticketId, 4, { by: 'key_x', resolution: null, sessionId: null }));
      expectProblem(await app.call('POST', '/v1/sessions', { body: { ticketId } }), 422, 'ticket_closed');
    });

    it('refuses a ticket whose close arrived before its creation as closed, and another account\'s as unknown', async () => {
      const early = freshId('tkt');
      await app.mirrored('tickets', await app.publishTicket('TicketClosed', early, 2, { by: 'key_x', resolution: null, sessionId: null }));
      expectProblem(await app.call('POST', '/v1/sessions', { body: { ticketId: early } }), 422, 'ticket_closed');
      const theirs = await app.knownTicket(OTHER_ACCOUNT);
      expectProblem(await app.call('POST', '/v1/sessions', { body: { ticketId: theirs } }), 422, 'unknown_ticket');
    });

    it('checks the device before the ticket', async () => {
      expectProblem(await app.call('POST', '/v1/sessions', { body: { deviceId: freshId('dev'), ticketId: freshId('tkt') } }), 422, 'unknown_device');
    });
  });

  describe('POST /v1/sessions/:id/start', () => {
    it('starts a waiting session with an active technician of the account', async () => {
      const technicianId = await app.knownTechnician();
      const s = await app.createSession();
      clock.advance(60_000);
      const reply = await app.call('POST', `/v1/sessions/${s.id}/start`, { body: { technicianId } });
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ status: 'active', technicianId, startedAt: clock.now().toISOString(), version: 2 });
    });

    it('refuses a technician it has not heard of with 422 unknown_technician, then starts once the registration arrives', async () => {
      const s = await app.createSession();
      const technicianId = freshId('tech');
      const refused = await app.call('POST', `/v1/sessions/${s.id}/start`, { body: { technicianId } });
      expectProblem(refused, 422, 'unknown_technician');
      expect(String(refused.body['detail'])).toMatch(/retry/);
      await app.mirrored('technicians', await app.publishTechnician('TechnicianRegistered', technicianId, 1, { name: 'Late', email: 'late@example.com', by: 'key_x' }));
      expect((await app.call('POST', `/v1/sessions/${s.id}/start`, { body: { technicianId } })).status).toBe(200);
    });

    it('refuses a deactivated technician, and one whose deactivation arrived before its registration', async () => {
      const s = await app.createSession();
      const known = await app.knownTechnician();
      await app.mirrored('technicians', await app.publishTechnician('TechnicianDeactivated', known, 2, { by: 'key_x', reason: 'left' }));
      expectProblem(await app.call('POST', `/v1/sessions/${s.id}/start`, { body: { technicianId: known } }), 422, 'technician_deactivated');
      const unseen = freshId('tech');
      await app.mirrored('technicians', await app.publishTechnician('TechnicianDeactivated', unseen, 2, { by: 'key_x' }));
      expectProblem(await app.call('POST', `/v1/sessions/${s.id}/start`, { body: { technicianId: unseen } }), 422, 'technician_deactivated');
      expect((await app.call('GET', `/v1/sessions/${s.id}`)).body['status']).toBe('waiting');
    });

    it('refuses another account\'s technician as unknown', async () => {
      const s = await app.createSession();
      expectProblem(await app.call('POST', `/v1/sessions/${s.id}/start`, { body: { technicianId: await app.knownTechnician(OTHER_ACCOUNT) } }), 422, 'unknown_technician');
    });

    it('refuses a session already started with 409 session_already_started, and an ended one with 409 session_ended', async () => {
      const { id, technicianId } = await activeSession();
      expectProblem(await app.call('POST', `/v1/sessions/${id}/start`, { body: { technicianId } }), 409, 'session_already_started');
      await app.call('POST', `/v1/sessions/${id}/end`, { body: { outcome: 'resolved' } });
      expectProblem(await app.call('POST', `/v1/sessions/${id}/start`, { body: { technicianId } }), 409, 'session_ended');
    });

    it('answers 404 for another account\'s session and writes nothing', async () => {
      const theirs = await app.createSession({}, app.keys.other.secret);
      const technicianId = await app.knownTechnician();
      const before = await app.eventCount();
      expectProblem(await app.call('POST', `/v1/sessions/${theirs.id}/start`, { body: { technicianId } }), 404, 'session_not_found');
      expectProblem(await app.call('POST', `/v1/sessions/${freshId('ses')}/start`, { body: { technicianId } }), 404, 'session_not_found');
      expect(await app.eventCount()).toBe(before);
    });
  });

  describe('POST /v1/sessions/:id/end', () => {
    it('ends an active session with its outcome and notes', async () => {
      const { id } = await activeSession();
      clock.advance(15 * 60_000);
      const reply = await app.call('POST', `/v1/sessions/${id}/end`, { body: { outcome: 'resolved', notes: 'Cleared the print queue' } });
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ status: 'ended', outcome: 'resolved', notes: 'Cleared the print queue', endedAt: clock.now().toISOString(), version: 3 });
    });

    it('refuses to end an ended session with 409 session_ended, keeping the first outcome', async () => {
      const { id } = await activeSession();
      await app.call('POST', `/v1/sessions/${id}/end`, { body: { outcome: 'unresolved' } });
      const before = await app.eventCount();
      expectProblem(await app.call('POST', `/v1/sessions/${id}/end`, { body: { outcome: 'resolved' } }), 409, 'session_ended');
      expect(await app.eventCount()).toBe(before);
      expect((await app.call('GET', `/v1/sessions/${id}`)).body).toMatchObject({ outcome: 'unresolved' });
    });

    it('ends a session nobody started only as abandoned', async () => {
      const s = await app.createSession();
      expectProblem(await app.call('POST', `/v1/sessions/${s.id}/end`, { body: { outcome: 'resolved' } }), 409, 'session_not_started');
      expect((await app.call('POST', `/v1/sessions/${s.id}/end`, { body: { outcome: 'abandoned' } })).body).toMatchObject({ status: 'ended', outcome: 'abandoned', technicianId: null });
    });

    it('answers 404 for another account\'s session', async () => {
      const theirs = await app.createSession({}, app.keys.other.secret);
      expectProblem(await app.call('POST', `/v1/sessions/${theirs.id}/end`, { body: { outcome: 'abandoned' } }), 404, 'session_not_found');
      expect((await app.call('GET', `/v1/sessions/${theirs.id}`, { secret: app.keys.other.secret })).body['status']).toBe('waiting');
    });
  });

  describe('GET /v1/sessions/:id', () => {
    it('answers the account\'s session to a key with sessions:read, and 404 for another account\'s', async () => {
      const mine = await app.createSession();
      expect((await app.call('GET', `/v1/sessions/${mine.id}`, { secret: app.keys.reader.secret })).body).toEqual(mine);
      const theirs = await app.createSession({}, app.keys.other.secret);
      expectProblem(await app.call('GET', `/v1/sessions/${theirs.id}`), 404, 'session_not_found');
      expectProblem(await app.call('GET', `/v1/sessions/${freshId('ses')}`), 404, 'session_not_found');
    });
  });

  describe('GET /v1/sessions/history', () => {
    // Sessions of a history account of their own, at known instants, so filters have exact answers.
    let deviceId: string;
    let technicianId: string;
    const made: { id: string; createdAt: string }[] = [];

    beforeAll(async () => {
      deviceId = await app.knownDevice();
      technicianId = await app.knownTechnician();
      clock.set('2026-10-01T09:00:00.000Z');
      for (let i = 0; i < 5; i++) {
        const s = await app.createSession(i % 2 === 0 ? { deviceId } : {});
        if (i < 2) await app.call('POST', `/v1/sessions/${s.id}/start`, { body: { technicianId } });
        made.push({ id: s.id, createdAt: String(s['createdAt']) });
        clock.advance(24 * 3600_000);
      }
    });

    function ids(reply: Reply): string[] {
      return (reply.body['items'] as { id: string }[]).map((s) => s.id);
    }

    it('lists the account\'s sessions newest first, page by page, and none of another account\'s', async () => {
      const theirs = await app.createSession({}, app.keys.other.secret);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Reply = await app.call('GET', `/v1/sessions/history?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.status).toBe(200);
        for (const s of page.body['items'] as { accountId: string }[]) expect(s.accountId).toBe(ACCOUNT);
        seen.push(...ids(page));
        cursor = page.body['nextCursor'] as string | null;
      } while (cursor);
      expect(seen).not.toContain(theirs.id);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.slice(0, 5)).toEqual(made.map((m) => m.id).reverse());
    });

    it('filters by device and by technician', async () => {
      const byDevice = await app.call('GET', `/v1/sessions/history?deviceId=${deviceId}`);
      expect(ids(byDevice)).toEqual([made[4]!.id, made[2]!.id, made[0]!.id]);
      const byTechnician = await app.call('GET', `/v1/sessions/history?technicianId=${technicianId}`);
      expect(ids(byTechnician)).toEqual([made[1]!.id, made[0]!.id]);
    });

    it('filters by a createdAt range, both ends inclusive, in any zone', async () => {
      const from = made[1]!.createdAt;
      const to = '2026-10-04T11:00:00+02:00'; // = made[3].createdAt, written in another zone
      const reply = await app.call('GET', `/v1/sessions/history?from=${from}&to=${encodeURIComponent(to)}`);
      expect(ids(reply)).toEqual([made[3]!.id, made[2]!.id, made[1]!.id]);
      expect(ids(await app.call('GET', `/v1/sessions/history?from=${made[4]!.createdAt}`))).toEqual([made[4]!.id]);
      expect(ids(await app.call('GET', `/v1/sessions/history?from=${from}&to=${from}`))).toEqual([made[1]!.id]);
    });

    it('refuses from after to with 422 invalid_date_range', async () => {
      const reply = await app.call('GET', '/v1/sessions/history?from=2026-10-05T00:00:00Z&to=2026-10-01T00:00:00Z');
      expectProblem(reply, 422, 'invalid_date_range');
    });

    it.each([
      ['from=yesterday', 'from'],
      ['from=2026-02-30T00:00:00Z', 'from'],
      ['to=2026-10-01', 'to'],
      ['to=2026-10-01T10:00:00', 'to'],
      ['from=2026-13-01T00:00:00Z', 'from'],
      ['to=1759309200000', 'to'],
      ['limit=0', 'limit'],
      ['limit=1000', 'limit'],
      ['deviceId=tkt_abcd', 'deviceId'],
      ['technicianId=tech', 'technicianId'],
      ['ticketId=tkt_abcd', 'ticketId'],
    ])('refuses %s with 400 validation_failed naming the field', async (query, field) => {
      const reply = await app.call('GET', `/v1/sessions/history?${query}`);
      expectProblem(reply, 400, 'validation_failed');
      expect((reply.body['errors'] as { field: string }[]).map((e) => e.field)).toContain(field);
    });

    it('refuses a cursor it did not issue', async () => {
      expectProblem(await app.call('GET', '/v1/sessions/history?cursor=bm9wZQ'), 400, 'invalid_cursor');
    });

    it('is not mistaken for a session id, and needs sessions:history:read, which a key for the other session routes lacks', async () => {
      expectProblem(await app.call('GET', '/v1/sessions/history', { secret: app.keys.operator.secret }), 403, 'permission_denied');
      expectProblem(await app.call('GET', '/v1/sessions/history', { secret: app.keys.reader.secret }), 403, 'permission_denied');
    });
  });

  describe('keys', () => {
    // [method, path, permission, body]; `:id` is a session of account A.
    const ROUTES: readonly (readonly [string, string, string, unknown])[] = [
      ['POST', '/v1/sessions', 'sessions:create', {}],
      ['GET', '/v1/sessions/history', 'sessions:history:read', undefined],
      ['GET', '/v1/sessions/:id', 'sessions:read', undefined],
      ['POST', '/v1/sessions/:id/start', 'sessions:write', { technicianId: 'tech_abcd' }],
      ['POST', '/v1/sessions/:id/end', 'sessions:write', { outcome: 'abandoned' }],
    ];
    let sessionId: string;

    beforeAll(async () => {
      sessionId = (await app.createSession()).id;
    });

    it.each(ROUTES)('%s %s answers 401 with no key, a malformed key and an unknown key', async (method, path, _permission, body) => {
      const p = path.replace(':id', sessionId);
      expectProblem(await app.call(method, p, { secret: null, body }), 401, 'missing_key');
      expectProblem(await app.call(method, p, { secret: 'kw_pk_short', body }), 401, 'malformed_key');
      expectProblem(await app.call(method, p, { secret: unknownKey('public'), body }), 401, 'unknown_key');
    });

    it.each(ROUTES)('%s %s answers 403 permission_denied to a private key without %s', async (method, path, permission, body) => {
      const lacking = permission === 'sessions:read' ? app.keys.creator : app.keys.reader;
      expectProblem(await app.call(method, path.replace(':id', sessionId), { secret: lacking.secret, body }), 403, 'permission_denied');
    });

    it.each(ROUTES.filter(([, , permission]) => permission !== 'sessions:create'))('%s %s (%s) answers 403 public_key_not_allowed to a public key', async (method, path, _permission, body) => {
      const before = await app.eventCount();
      expectProblem(await app.call(method, path.replace(':id', sessionId), { secret: app.keys.public.secret, body }), 403, 'public_key_not_allowed');
      expect(await app.eventCount()).toBe(before);
    });
  });

  describe('bad input', () => {
    let sessionId: string;

    beforeAll(async () => {
      sessionId = (await app.createSession()).id;
    });

    async function expectRefused(method: string, path: string, body: unknown, status: number, code: string, fields: readonly string[] = []): Promise<void> {
      const before = await app.eventCount();
      const reply = await app.call(method, path.replace(':id', sessionId), { body });
      expectProblem(reply, status, code);
      const errors = (reply.body['errors'] as { field: string }[] | undefined) ?? [];
      for (const f of fields) expect(errors.map((e) => e.field)).toContain(f);
      expect(await app.eventCount()).toBe(before);
    }

    it.each([
      ['a device id of another kind', { deviceId: 'tech_abcd' }, ['deviceId']],
      ['a number as device id', { deviceId: 12 }, ['deviceId']],
      ['a ticket id of another kind', { ticketId: 'ses_abcd' }, ['ticketId']],
      ['an unknown field', { technicianId: 'tech_abcd' }, ['technicianId']],
      ['a join code chosen by the caller', { code: '123-456' }, ['code']],
    ])('POST /v1/sessions refuses %s with 400 validation_failed', async (_what, body, fields) => {
      await expectRefused('POST', '/v1/sessions', body, 400, 'validation_failed', fields);
    });

    it('POST /v1/sessions refuses malformed JSON and a body over the size limit', async () => {
      await expectRefused('POST', '/v1/sessions', '{"deviceId":', 400, 'malformed_json');
      await expectRefused('POST', '/v1/sessions', { deviceId: 'dev_abcd', padding: 'x'.repeat(70 * 1024) }, 413, 'payload_too_large');
    });

    it.each([
      ['no technicianId', {}, ['technicianId']],
      ['a technicianId of another kind', { technicianId: 'dev_abcd' }, ['technicianId']],
      ['an unknown field', { technicianId: 'tech_abcd', at: 'now' }, ['at']],
    ])('POST /v1/sessions/:id/start refuses %s with 400 validation_failed', async (_what, body, fields) => {
      await expectRefused('POST', '/v1/sessions/:id/start', body, 400, 'validation_failed', fields);
    });

    it.each([
      ['no outcome', {}, ['outcome']],
      ['an outcome outside the contract', { outcome: 'fixed' }, ['outcome']],
      ['notes that are not text', { outcome: 'abandoned', notes: ['a'] }, ['notes']],
      ['notes over 5000 characters', { outcome: 'abandoned', notes: 'x'.repeat(5001) }, ['notes']],
      ['an unknown field', { outcome: 'abandoned', endedAt: '2026-01-01T00:00:00Z' }, ['endedAt']],
    ])('POST /v1/sessions/:id/end refuses %s with 400 validation_failed', async (_what, body, fields) => {
      await expectRefused('POST', '/v1/sessions/:id/end', body, 400, 'validation_failed', fields);
    });

    it('POST /v1/sessions/:id/end refuses a body over the size limit', async () => {
      await expectRefused('POST', '/v1/sessions/:id/end', { outcome: 'abandoned', notes: 'x'.repeat(70 * 1024) }, 413, 'payload_too_large');
    });

    it.each([
      ['GET', '/v1/sessions/not-a-session'],
      ['GET', '/v1/sessions/tkt_abcdef'],
      ['POST', '/v1/sessions/ses_a/start'],
      ['POST', '/v1/sessions/ses_!!!!/end'],
    ])('%s %s refuses the malformed session id with 400 invalid_session_id', async (method, path) => {
      await expectRefused(method, path, method === 'POST' ? { outcome: 'abandoned' } : undefined, 400, 'invalid_session_id');
    });
  });

  describe('rebuild', () => {
    it('rebuilds the sessions read model from the event store identical to the live one, and the history answers the same after', async () => {
      const before = await app.call('GET', '/v1/sessions/history?limit=100');
      expect(await app.rebuild('sessions')).toMatchObject({ state: 'succeeded', result: { matchedLive: true } });
      expect(await app.call('GET', '/v1/sessions/history?limit=100')).toEqual(before);
    });

    it.each(['technicians', 'devices', 'tickets'])('rebuilds the %s mirror from the start of its topic identical to the live one', async (name) => {
      expect(await app.rebuild(name)).toMatchObject({ state: 'succeeded', result: { matchedLive: true } });
    });
  });
});
