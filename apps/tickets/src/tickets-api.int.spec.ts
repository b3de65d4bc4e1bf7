import { SERVICES } from '@keyward/contracts';
import { expectProblem, waitFor } from '@keyward/testing';
import type { Reply } from './testing/tickets-test-app.spec-helper';
import { ACCOUNT, freshId, OTHER_ACCOUNT, TicketsTestApp, unknownKey, VALID_TICKET } from './testing/tickets-test-app.spec-helper';

// The tickets API on the real Kafka and FerretDB: every route's success, refusals and scoping.
// Technicians reach tickets only as contract events on `<prefix>technicians.events`.

const REFERENCE = /^TKT-[0-9A-HJKMNP-TV-Z]{6}$/;
const FULL_VIEW_FIELDS = [
  'accountId', 'closedAt', 'contact', 'createdAt', 'deviceId', 'id', 'problemDescription', 'reference', 'requesterEmail',
  'requesterName', 'resolution', 'sessionId', 'status', 'technicianId', 'updatedAt', 'version',
];

describe('tickets API', () => {
  let app: TicketsTestApp;

  beforeAll(async () => {
    app = await TicketsTestApp.start();
  });
  afterAll(async () => {
    await app?.close();
  });

  /** Registers a technician of an account on technicians.events and waits until tickets can assign it. */
  async function knownTechnician(accountId = ACCOUNT): Promise<string> {
    const id = freshId('tech');
    await app.publishTechnician('TechnicianRegistered', id, 1, { name: 'Grace Hopper', email: 'grace@example.com', by: 'key_x' }, accountId);
    await waitFor(`technician ${id} to reach tickets' mirror`, () => app.technicians().index.get(id) !== undefined);
    return id;
  }

  /** A device registered on devices.events, once tickets' devices mirror has read it. */
  async function knownDevice(accountId = ACCOUNT, removed = false): Promise<string> {
    const id = freshId('dev');
    const at = new Date().toISOString();
    await app.publish(SERVICES.devices.topic, { id: freshId('evt'), type: 'DeviceRegistered', schemaVersion: 1, aggregateId: id, accountId, version: 1, occurredAt: at,
      data: { name: 'Printer', os: 'other', hostname: 'printer-01', tags: [], ownerTechnicianId: null, by: 'key_x' } });
    if (removed) await app.publish(SERVICES.devices.topic, { id: freshId('evt'), type: 'DeviceRemoved', schemaVersion: 1, aggregateId: id, accountId, version: 2, occurredAt: at, data: { by: 'key_x' } });
    await waitFor(`device ${id} to reach tickets' mirror`, () => app.devices().index.get(id)?.version === (removed ? 2 : 1));
    return id;
  }

  describe('POST /v1/tickets', () => {
    it('creates an open ticket and answers a private caller with the full view', async () => {
      const printer = await knownDevice();
      const reply = await app.call('POST', '/v1/tickets', { body: { ...VALID_TICKET, deviceId: printer } });
      expect(reply.status).toBe(201);
      expect(Object.keys(reply.body).sort()).toEqual(FULL_VIEW_FIELDS);
      expect(reply.body).toMatchObject({
        accountId: ACCOUNT, requesterName: VALID_TICKET.requesterName, requesterEmail: VALID_TICKET.requesterEmail, contact: VALID_TICKET.contact,
        problemDescription: VALID_TICKET.problemDescription, deviceId: printer, status: 'open', technicianId: null, sessionId: null,
        resolution: null, closedAt: null, version: 1,
      });
      expect(reply.body['id']).toMatch(/^tkt_[A-Za-z0-9]{20}$/);
      expect(reply.body['reference']).toMatch(REFERENCE);
      expect(reply.body['createdAt']).toBe(reply.body['updatedAt']);
      expect(await app.ticket(String(reply.body['id']))).toEqual(reply.body);
    });

    it('answers a public key with only the id, reference and status, and keeps the whole ticket', async () => {
      const reply = await app.call('POST', '/v1/tickets', { secret: app.keys.public.secret, body: VALID_TICKET });
      expect(reply.status).toBe(201);
      expect(Object.keys(reply.body).sort()).toEqual(['id', 'reference', 'status']);
      expect(reply.body).toMatchObject({ status: 'open', reference: expect.stringMatching(REFERENCE) });
      expect(await app.ticket(String(reply.body['id']))).toMatchObject({ requesterEmail: VALID_TICKET.requesterEmail, reference: reply.body['reference'] });
    });

    it('trims text and stores a blank contact as none; contact and deviceId are optional', async () => {
      const reply = await app.call('POST', '/v1/tickets', { body: { ...VALID_TICKET, requesterName: '  Ada  ', contact: '  ' } });
      expect(reply.body).toMatchObject({ requesterName: 'Ada', contact: null, deviceId: null });
      const minimal = await app.call('POST', '/v1/tickets', { body: { requesterName: 'A', requesterEmail: 'a@b.io', problemDescription: 'p' } });
      expect(minimal.status).toBe(201);
    });

    it('refuses text that is blank after trimming with a 422 rule code', async () => {
      expectProblem(await app.call('POST', '/v1/tickets', { body: { ...VALID_TICKET, requesterName: '   ' } }), 422, 'invalid_requester_name');
      expectProblem(await app.call('POST', '/v1/tickets', { body: { ...VALID_TICKET, problemDescription: ' ' } }), 422, 'invalid_problem_description');
    });

    it('refuses a device that does not exist, another account\'s and a removed one with 422, and writes nothing', async () => {
      const before = await app.eventCount();
      expectProblem(await app.call('POST', '/v1/tickets', { body: { ...VALID_TICKET, deviceId: 'dev_neverregistered' } }), 422, 'unknown_device');
      expectProblem(await app.call('POST', '/v1/tickets', { body: { ...VALID_TICKET, deviceId: await knownDevice(OTHER_ACCOUNT) } }), 422, 'unknown_device');
      expectProblem(await app.call('POST', '/v1/tickets', { body: { ...VALID_TICKET, deviceId: await knownDevice(ACCOUNT, true) } }), 422, 'device_removed');
      expect(await app.eventCount()).toBe(before);
    });
  });

  describe('GET /v1/tickets/:id', () => {
    it('answers the account\'s ticket, and 404 for another account\'s exactly like a missing one', async () => {
      const mine = await app.createTicket();
      expect(await app.ticket(mine.id)).toEqual(mine);
      const theirs = await app.createTicket({}, app.keys.other.secret);
      expectProblem(await app.call('GET', `/v1/tickets/${theirs.id}`), 404, 'ticket_not_found');
      expectProblem(await app.call('GET', `/v1/tickets/${freshId('tkt')}`), 404, 'ticket_not_found');
      expect((await app.call('GET', `/v1/tickets/${theirs.id}`, { secret: app.keys.other.secret })).status).toBe(200);
    });

    it('is open to a private key holding only tickets:read', async () => {
      const t = await app.createTicket();
      expect((await app.call('GET', `/v1/tickets/${t.id}`, { secret: app.keys.reader.secret })).status).toBe(200);
    });
  });

  describe('GET /v1/tickets', () => {
    it('lists the account\'s tickets newest first, page by page, and none of another account\'s', async () => {
      const theirs = await app.createTicket({}, app.keys.other.secret);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Reply = await app.call('GET', `/v1/tickets?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.status).toBe(200);
        const items = page.body['items'] as { id: string; accountId: string; createdAt: string }[];
        expect(items.length).toBeLessThanOrEqual(2);
        for (const t of items) expect(t.accountId).toBe(ACCOUNT);
        seen.push(...items.map((t) => t.id));
        cursor = page.body['nextCursor'] as string | null;
      } while (cursor);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).not.toContain(theirs.id);
      const all = (await app.call('GET', '/v1/tickets?limit=100')).body['items'] as { id: string; createdAt: string }[];
      expect(all.map((t) => t.id)).toEqual(seen);
      const created = all.map((t) => t.createdAt);
      expect([...created].sort().reverse()).toEqual(created);
    });

    it('filters by status, technician and reference', async () => {
      const tech = await knownTechnician();
      const assigned = await app.createTicket();
      await app.call('POST', `/v1/tickets/${assigned.id}/assign`, { body: { technicianId: tech } });
      const closed = await app.createTicket();
      await app.call('POST', `/v1/tickets/${closed.id}/close`, { body: {} });

      const byTech = (await app.call('GET', `/v1/tickets?technicianId=${tech}`)).body['items'] as { id: string }[];
      expect(byTech.map((t) => t.id)).toEqual([assigned.id]);
      const byStatus = (await app.call('GET', '/v1/tickets?status=closed&limit=100')).body['items'] as { id: string; status: string }[];
      expect(byStatus.map((t) => t.id)).toContain(closed.id);
      for (const t of byStatus) expect(t.status).toBe('closed');
      const byReference = (await app.call('GET', `/v1/tickets?reference=${String(closed['reference'])}`)).body['items'] as { id: string }[];
      expect(byReference.map((t) => t.id)).toContain(closed.id);
      const otherAccount = (await app.call('GET', `/v1/tickets?reference=${String(closed['reference'])}`, { secret: app.keys.other.secret })).body['items'];
      expect(otherAccount).toEqual([]);
    });

    it('refuses a cursor it did not issue', async () => {
      expectProblem(await app.call('GET', '/v1/tickets?cursor=not-a-cursor'), 400, 'invalid_cursor');
    });
  });

  describe('POST /v1/tickets/:id/assign', () => {
    it('assigns an open ticket to an active technician of the account', async () => {
      const tech = await knownTechnician();
      const t = await app.createTicket();
      const reply = await app.call('POST', `/v1/tickets/${t.id}/assign`, { body: { technicianId: tech } });
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ id: t.id, status: 'assigned', technicianId: tech, version: 2 });
    });

    it('refuses a technician it has not heard of with a 422 that says a retry may succeed, then assigns once the registration arrives', async () => {
      const t = await app.createTicket();
      const tech = freshId('tech');
      const refused = await app.call('POST', `/v1/tickets/${t.id}/assign`, { body: { technicianId: tech } });
      expectProblem(refused, 422, 'unknown_technician');
      expect(String(refused.body['detail'])).toMatch(/retry/);
      expect(refused.body['technicianId']).toBe(tech);
      await app.publishTechnician('TechnicianRegistered', tech, 1, { name: 'Late', email: 'late@example.com', by: 'key_x' });
      const assigned = await waitFor('the assignment to succeed once the technician is known', async () => {
        const r = await app.call('POST', `/v1/tickets/${t.id}/assign`, { body: { technicianId: tech } });
        return r.status === 200 ? r : false;
      });
      expect(assigned.body).toMatchObject({ technicianId: tech, status: 'assigned' });
    });

    it('refuses another account\'s technician as unknown', async () => {
      const theirs = await knownTechnician(OTHER_ACCOUNT);
      const t = await app.createTicket();
      expectProblem(await app.call('POST', `/v1/tickets/${t.id}/assign`, { body: { technicianId: theirs } }), 422, 'unknown_technician');
    });

    it('refuses a deactivated technician', async () => {
      const tech = await knownTechnician();
      await app.publishTechnician('TechnicianDeactivated', tech, 2, { by: 'key_x', reason: 'left' });
      const t = await app.createTicket();
      await waitFor('the deactivation to reach tickets', async () =>
        (await app.call('POST', `/v1/tickets/${t.id}/assign`, { body: { technicianId: tech } })).code === 'technician_deactivated');
    });

    it('takes a deactivation of a technician it never saw registered without failing, and refuses it as deactivated', async () => {
      const tech = freshId('tech');
      await app.publishTechnician('TechnicianDeactivated', tech, 2, { by: 'key_x' });
      const t = await app.createTicket();
      await waitFor('the deactivation of an unseen technician to be applied', async () =>
        (await app.call('POST', `/v1/tickets/${t.id}/assign`, { body: { technicianId: tech } })).code === 'technician_deactivated');
      // The registration arriving late cannot bring it back: its version is older than what was applied.
      await app.publishTechnician('TechnicianRegistered', tech, 1, { name: 'Gone', email: 'gone@example.com', by: 'key_x' });
      await waitFor('the late registration to be seen as a duplicate', async () => Number((await app.projection('technicians'))['duplicates']) > 0);
      expectProblem(await app.call('POST', `/v1/tickets/${t.id}/assign`, { body: { technicianId: tech } }), 422, 'technician_deactivated');
      // The service still serves and still learns technicians.
      expect((await app.call('POST', `/v1/tickets/${t.id}/assign`, { body: { technicianId: await knownTechnician() } })).status).toBe(200);
    });

    it('reassigns to another technician, and records nothing when assigning the current one again', async () => {
      const [a, b] = [await knownTechnician(), await knownTechnician()];
      const t = await app.createTicket();
      await app.call('POST', `/v1/tickets/${t.id}/assign`, { body: { technicianId: a } });
      const reassigned = await app.call('POST', `/v1/tickets/${t.id}/assign`, { body: { technicianId: b } });
      expect(reassigned.body).toMatchObject({ technicianId: b, version: 3 });
      const before = await app.eventCount();
      const again = await app.call('POST', `/v1/tickets/${t.id}/assign`, { body: { technicianId: b } });
      expect(again.body).toMatchObject({ technicianId: b, version: 3 });
      expect(await app.eventCount()).toBe(before);
    });

    it('refuses to assign a closed ticket with 409 ticket_closed', async () => {
      const tech = await knownTechnician();
      const t = await app.createTicket();
      await app.call('POST', `/v1/tickets/${t.id}/close`, { body: {} });
      expectProblem(await app.call('POST', `/v1/tickets/${t.id}/assign`, { body: { technicianId: tech } }), 409, 'ticket_closed');
    });

    it('answers 404 for another account\'s ticket and writes nothing', async () => {
      const tech = await knownTechnician();
      const theirs = await app.createTicket({}, app.keys.other.secret);
      const before = await app.eventCount();
      expectProblem(await app.call('POST', `/v1/tickets/${theirs.id}/assign`, { body: { technicianId: tech } }), 404, 'ticket_not_found');
      expect(await app.eventCount()).toBe(before);
    });
  });

  describe('POST /v1/tickets/:id/close', () => {
    it('closes a ticket with its resolution', async () => {
      const t = await app.createTicket();
      const reply = await app.call('POST', `/v1/tickets/${t.id}/close`, { body: { resolution: 'Replaced the toner' } });
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ status: 'closed', resolution: 'Replaced the toner', sessionId: null, version: 2 });
      expect(reply.body['closedAt']).toEqual(expect.any(String));
    });

    it('is idempotent: closing a closed ticket answers it unchanged and records nothing', async () => {
      const t = await app.createTicket();
      const first = await app.call('POST', `/v1/tickets/${t.id}/close`, { body: { resolution: 'first' } });
      const before = await app.eventCount();
      const second = await app.call('POST', `/v1/tickets/${t.id}/close`, { body: { resolution: 'second' } });
      expect(second.status).toBe(200);
      expect(second.body).toEqual(first.body);
      expect(await app.eventCount()).toBe(before);
    });

    it('closes without a resolution', async () => {
      const t = await app.createTicket();
      expect((await app.call('POST', `/v1/tickets/${t.id}/close`, { body: {} })).body).toMatchObject({ status: 'closed', resolution: null });
    });

    it('answers 404 for another account\'s ticket', async () => {
      const theirs = await app.createTicket({}, app.keys.other.secret);
      expectProblem(await app.call('POST', `/v1/tickets/${theirs.id}/close`, { body: {} }), 404, 'ticket_not_found');
      expect((await app.call('GET', `/v1/tickets/${theirs.id}`, { secret: app.keys.other.secret })).body['status']).toBe('open');
    });
  });

  describe('keys', () => {
    // [method, path, permission, body]; `:id` is a ticket of account A.
    const ROUTES: readonly (readonly [string, string, string, unknown])[] = [
      ['POST', '/v1/tickets', 'tickets:create', VALID_TICKET],
      ['GET', '/v1/tickets', 'tickets:read', undefined],
      ['GET', '/v1/tickets/:id', 'tickets:read', undefined],
      ['POST', '/v1/tickets/:id/assign', 'tickets:write', { technicianId: 'tech_abcd' }],
      ['POST', '/v1/tickets/:id/close', 'tickets:write', {}],
    ];
    let ticketId: string;

    beforeAll(async () => {
      ticketId = (await app.createTicket()).id;
    });

    it.each(ROUTES)('%s %s answers 401 with no key, a malformed key and an unknown key', async (method, path, _permission, body) => {
      const p = path.replace(':id', ticketId);
      expectProblem(await app.call(method, p, { secret: null, body }), 401, 'missing_key');
      expectProblem(await app.call(method, p, { secret: 'kw_sk_nonsense', body }), 401, 'malformed_key');
      expectProblem(await app.call(method, p, { secret: unknownKey(), body }), 401, 'unknown_key');
    });

    it.each(ROUTES)('%s %s answers 403 permission_denied to a private key without %s', async (method, path, permission, body) => {
      const lacking = permission === 'tickets:read' ? app.keys.creator : app.keys.reader;
      expectProblem(await app.call(method, path.replace(':id', ticketId), { secret: lacking.secret, body }), 403, 'permission_denied');
    });

    it.each(ROUTES.filter(([, , permission]) => permission !== 'tickets:create'))('%s %s (%s) answers 403 public_key_not_allowed to a public key', async (method, path, _permission, body) => {
      const before = await app.eventCount();
      expectProblem(await app.call(method, path.replace(':id', ticketId), { secret: app.keys.public.secret, body }), 403, 'public_key_not_allowed');
      expect(await app.eventCount()).toBe(before);
    });
  });

  describe('bad input', () => {
    let ticketId: string;

    beforeAll(async () => {
      ticketId = (await app.createTicket()).id;
    });

    /** Sends a bad request and checks it is refused with problem+json, the code, the fields at fault, and nothing written. */
    async function expectRefused(method: string, path: string, body: unknown, status: number, code: string, fields: readonly string[] = []): Promise<void> {
      const before = await app.eventCount();
      const reply = await app.call(method, path.replace(':id', ticketId), { body });
      expectProblem(reply, status, code);
      const errors = (reply.body['errors'] as { field: string }[] | undefined) ?? [];
      for (const f of fields) expect(errors.map((e) => e.field)).toContain(f);
      expect(await app.eventCount()).toBe(before);
    }

    it.each([
      ['no requester name', { ...VALID_TICKET, requesterName: undefined }, ['requesterName']],
      ['a number as requester name', { ...VALID_TICKET, requesterName: 42 }, ['requesterName']],
      ['a malformed email', { ...VALID_TICKET, requesterEmail: 'ada-at-example' }, ['requesterEmail']],
      ['a problem description over 5000 characters', { ...VALID_TICKET, problemDescription: 'x'.repeat(5001) }, ['problemDescription']],
      ['a requester name over 200 characters', { ...VALID_TICKET, requesterName: 'x'.repeat(201) }, ['requesterName']],
      ['a contact that is an object', { ...VALID_TICKET, contact: { phone: '1' } }, ['contact']],
      ['a device id of another kind', { ...VALID_TICKET, deviceId: 'tech_abcd' }, ['deviceId']],
      ['an unknown field', { ...VALID_TICKET, priority: 'urgent' }, ['priority']],
      ['a status set by the caller', { ...VALID_TICKET, status: 'closed' }, ['status']],
    ])('POST /v1/tickets refuses %s with 400 validation_failed', async (_what, body, fields) => {
      await expectRefused('POST', '/v1/tickets', body, 400, 'validation_failed', fields);
    });

    it('POST /v1/tickets refuses a JSON array, malformed JSON and a body over the size limit', async () => {
      await expectRefused('POST', '/v1/tickets', [VALID_TICKET], 400, 'validation_failed');
      await expectRefused('POST', '/v1/tickets', '{"requesterName": ', 400, 'malformed_json');
      await expectRefused('POST', '/v1/tickets', { ...VALID_TICKET, problemDescription: 'x'.repeat(70 * 1024) }, 413, 'payload_too_large');
    });

    it.each([
      ['GET', '/v1/tickets/not-a-ticket'],
      ['GET', '/v1/tickets/dev_abcdef'],
      ['POST', '/v1/tickets/tkt_x!y/close'],
      ['POST', '/v1/tickets/tkt_a/assign'],
    ])('%s %s refuses the malformed ticket id with 400 invalid_ticket_id', async (method, path) => {
      await expectRefused(method, path, method === 'POST' ? {} : undefined, 400, 'invalid_ticket_id');
    });

    it.each([
      ['no technicianId', {}, ['technicianId']],
      ['a technicianId of another kind', { technicianId: 'dev_abcd' }, ['technicianId']],
      ['a number as technicianId', { technicianId: 7 }, ['technicianId']],
      ['an unknown field', { technicianId: 'tech_abcd', note: 'x' }, ['note']],
    ])('POST /v1/tickets/:id/assign refuses %s with 400 validation_failed', async (_what, body, fields) => {
      await expectRefused('POST', '/v1/tickets/:id/assign', body, 400, 'validation_failed', fields);
    });

    it.each([
      ['a number as resolution', { resolution: 5 }, ['resolution']],
      ['a resolution over 2000 characters', { resolution: 'x'.repeat(2001) }, ['resolution']],
      ['an unknown field', { reason: 'x' }, ['reason']],
    ])('POST /v1/tickets/:id/close refuses %s with 400 validation_failed', async (_what, body, fields) => {
      await expectRefused('POST', '/v1/tickets/:id/close', body, 400, 'validation_failed', fields);
    });

    it.each([
      ['limit=0', ['limit']],
      ['limit=101', ['limit']],
      ['limit=ten', ['limit']],
      ['status=pending', ['status']],
      ['technicianId=bob', ['technicianId']],
      ['reference=TKT-ILOU00', ['reference']],
      ['createdAfter=2026-01-01', ['createdAfter']],
    ])('GET /v1/tickets?%s is refused with 400 validation_failed', async (query, fields) => {
      await expectRefused('GET', `/v1/tickets?${query}`, undefined, 400, 'validation_failed', fields);
    });
  });

  describe('rebuild', () => {
    it('rebuilds the tickets read model from the event store identical to the live one, and lists the same after', async () => {
      const before = await app.call('GET', '/v1/tickets?limit=100');
      const job = await app.rebuild('tickets');
      expect(job).toMatchObject({ state: 'succeeded', result: { matchedLive: true } });
      expect(await app.call('GET', '/v1/tickets?limit=100')).toEqual(before);
    });

    it('rebuilds the technicians mirror from the start of its topic identical to the live one', async () => {
      const job = await app.rebuild('technicians');
      expect(job).toMatchObject({ state: 'succeeded', result: { matchedLive: true } });
      expect(Number((job['result'] as Record<string, unknown>)['items'])).toBeGreaterThan(0);
    });
  });
});

