import { MongoEventStore } from '@keyward/event-store';
import { waitFor } from '@keyward/testing';
import { SessionTicketProcessManager } from './process/session-ticket.process-manager';
import { ACCOUNT, freshId, TicketsTestApp } from './testing/tickets-test-app.spec-helper';

// The session → ticket policy on the real Kafka and FerretDB: sessions reach tickets only as
// contract events on `<prefix>sessions.events` (published here as the sessions service would);
// the process manager moves the ticket through the AggregateStore. See
// tools/test/ticket-session-flow.e2e.spec.ts for the same flow with the real sessions service.

describe('tickets follow the sessions opened from them', () => {
  let app: TicketsTestApp;

  beforeAll(async () => {
    app = await TicketsTestApp.start();
  });
  afterAll(async () => {
    await app?.close();
  });

  async function ticketWhen(id: string, what: string, test: (t: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    return waitFor(`ticket ${id} to be ${what}`, async () => {
      const t = await app.ticket(id);
      return test(t) ? t : false;
    });
  }

  /** Waits until the sessions mirror has dropped `n` more duplicate deliveries than `since`. */
  async function duplicatesSeen(since: number, n: number): Promise<void> {
    await waitFor(`${n} duplicate session events to be dropped`, async () => Number((await app.projection('sessions'))['duplicates']) >= since + n);
  }

  it('puts the ticket in progress when a session is opened from it, and closes it with the outcome when the session ends', async () => {
    const ticket = await app.createTicket();
    const session = freshId('ses');
    await app.publishSession('SessionCreated', session, 1, { code: '123-456', deviceId: null, ticketId: ticket.id, by: 'key_public' });
    const inProgress = await ticketWhen(ticket.id, 'in progress', (t) => t['status'] === 'in_progress');
    expect(inProgress).toMatchObject({ sessionId: session, version: 2, resolution: null, closedAt: null });

    await app.publishSession('SessionStarted', session, 2, { technicianId: 'tech_abcd', by: 'key_tech' });
    await app.publishSession('SessionEnded', session, 3, { outcome: 'resolved', notes: 'rebooted', by: 'key_tech' });
    const closed = await ticketWhen(ticket.id, 'closed', (t) => t['status'] === 'closed');
    expect(closed).toMatchObject({ resolution: 'session ended: resolved', sessionId: session, version: 3 });
    expect(closed['closedAt']).toEqual(expect.any(String));
  });

  it('closes every ticket whose session ends while the mirror persists its start (the end is never paired with the started view)', async () => {
    const tickets: string[] = [];
    for (let i = 0; i < 40; i++) tickets.push((await app.createTicket()).id);
    const sessions = tickets.map(() => freshId('ses'));
    await Promise.all(sessions.map((s, i) => app.publishSession('SessionCreated', s, 1, { code: '123-456', deviceId: null, ticketId: tickets[i] ?? '', by: 'key_public' })));
    // Bounds with room for a loaded 2-core box: each ticket moves by its own command, one after another.
    await waitFor('every ticket to be in progress', async () => (await Promise.all(tickets.map((id) => app.ticket(id)))).every((t) => t['status'] === 'in_progress'), { timeoutMs: 60_000, intervalMs: 200 });
    // Each session's start, then its end, every session at once: ends keep coming while the mirror
    // persists starts, which is when an end used to be handed the view from before it.
    await Promise.all(sessions.map(async (s) => {
      await app.publishSession('SessionStarted', s, 2, { technicianId: 'tech_abcd', by: 'key_tech' });
      await app.publishSession('SessionEnded', s, 3, { outcome: 'resolved', notes: null, by: 'key_tech' });
    }));
    const closed = await waitFor('every ticket to be closed', async () => {
      const all = await Promise.all(tickets.map((id) => app.ticket(id)));
      return all.every((t) => t['status'] === 'closed') ? all : false;
    }, { timeoutMs: 60_000, intervalMs: 200 });
    expect(closed.map((t) => t['sessionId'])).toEqual(sessions);
    expect(closed.every((t) => t['resolution'] === 'session ended: resolved')).toBe(true);
  }, 150_000);

  it('records the session event that caused each ticket event', async () => {
    const ticket = await app.createTicket();
    const session = freshId('ses');
    await app.publishSession('SessionCreated', session, 1, { code: '123-456', deviceId: null, ticketId: ticket.id, by: 'key_public' });
    await ticketWhen(ticket.id, 'in progress', (t) => t['status'] === 'in_progress');
    const events = await app.service.app.get(MongoEventStore).readStream(ticket.id);
    expect(events[1]).toMatchObject({ type: 'TicketInProgress', correlationId: session, causationId: expect.any(String) });
  });

  it('closes an open ticket directly when the session ends as abandoned before anyone started it', async () => {
    const ticket = await app.createTicket();
    const session = freshId('ses');
    await app.publishSession('SessionCreated', session, 1, { code: '123-456', deviceId: null, ticketId: ticket.id, by: 'key_public' });
    await app.publishSession('SessionEnded', session, 2, { outcome: 'abandoned', notes: null, by: 'key_public' });
    expect(await ticketWhen(ticket.id, 'closed', (t) => t['status'] === 'closed')).toMatchObject({ resolution: 'session ended: abandoned', sessionId: session });
  });

  it('changes nothing when the same session events are delivered again', async () => {
    const ticket = await app.createTicket();
    const session = freshId('ses');
    const created = { code: '123-456', deviceId: null, ticketId: ticket.id, by: 'key_public' };
    const ended = { outcome: 'unresolved' as const, notes: null, by: 'key_tech' };
    await app.publishSession('SessionCreated', session, 1, created);
    await app.publishSession('SessionEnded', session, 2, ended);
    const closed = await ticketWhen(ticket.id, 'closed', (t) => t['status'] === 'closed');

    const duplicatesBefore = Number((await app.projection('sessions'))['duplicates']);
    const eventsBefore = await app.eventCount();
    await app.publishSession('SessionCreated', session, 1, created);
    await app.publishSession('SessionEnded', session, 2, ended);
    await duplicatesSeen(duplicatesBefore, 2);
    // And the process manager sent again everything it knows (what a restart or the periodic pass does).
    await app.service.app.get(SessionTicketProcessManager).reconcile();
    expect(await app.eventCount()).toBe(eventsBefore);
    expect(await app.ticket(ticket.id)).toEqual(closed);
  });

  it('keeps the first session on a ticket a second session is opened from, and closes it when either ends', async () => {
    const ticket = await app.createTicket();
    const [first, second] = [freshId('ses'), freshId('ses')];
    await app.publishSession('SessionCreated', first, 1, { code: '111-111', deviceId: null, ticketId: ticket.id, by: 'key_public' });
    await ticketWhen(ticket.id, 'in progress', (t) => t['status'] === 'in_progress');
    await app.sessionEventHandled(await app.publishSession('SessionCreated', second, 1, { code: '222-222', deviceId: null, ticketId: ticket.id, by: 'key_public' }));
    expect(await app.ticket(ticket.id)).toMatchObject({ status: 'in_progress', sessionId: first, version: 2 });
    await app.publishSession('SessionEnded', second, 2, { outcome: 'resolved', notes: null, by: 'key_tech' });
    expect(await ticketWhen(ticket.id, 'closed', (t) => t['status'] === 'closed')).toMatchObject({ sessionId: second, resolution: 'session ended: resolved' });
  });

  it('leaves a closed ticket closed (with its own resolution) when a session of it starts or ends', async () => {
    const ticket = await app.createTicket();
    await app.call('POST', `/v1/tickets/${ticket.id}/close`, { body: { resolution: 'fixed by phone' } });
    const closed = await app.ticket(ticket.id);
    const session = freshId('ses');
    await app.publishSession('SessionCreated', session, 1, { code: '123-456', deviceId: null, ticketId: ticket.id, by: 'key_public' });
    await app.sessionEventHandled(await app.publishSession('SessionEnded', session, 2, { outcome: 'resolved', notes: null, by: 'key_tech' }));
    expect(await app.ticket(ticket.id)).toEqual(closed);
  });

  it('ignores a session that names an unknown ticket, or another account\'s, and keeps serving', async () => {
    const theirs = await app.createTicket({}, app.keys.other.secret);
    const eventsBefore = await app.eventCount();
    const [ghost, foreign] = [freshId('ses'), freshId('ses')];
    await app.sessionEventHandled(await app.publishSession('SessionCreated', ghost, 1, { code: '123-456', deviceId: null, ticketId: freshId('tkt'), by: 'key_public' }));
    // A session of account A naming account B's ticket: tickets never lets one account move another's.
    await app.sessionEventHandled(await app.publishSession('SessionCreated', foreign, 1, { code: '123-456', deviceId: null, ticketId: theirs.id, by: 'key_public' }, ACCOUNT));
    expect(await app.eventCount()).toBe(eventsBefore);
    expect((await app.call('GET', `/v1/tickets/${theirs.id}`, { secret: app.keys.other.secret })).body['status']).toBe('open');

    const mine = await app.createTicket();
    const session = freshId('ses');
    await app.publishSession('SessionCreated', session, 1, { code: '123-456', deviceId: null, ticketId: mine.id, by: 'key_public' });
    await ticketWhen(mine.id, 'in progress', (t) => t['status'] === 'in_progress');
  });

  it('ignores the events of a session whose creation it never saw, and of sessions not opened from a ticket', async () => {
    const eventsBefore = await app.eventCount();
    await app.sessionEventHandled(await app.publishSession('SessionEnded', freshId('ses'), 3, { outcome: 'resolved', notes: null, by: 'key_tech' }));
    const plain = freshId('ses');
    await app.publishSession('SessionCreated', plain, 1, { code: '123-456', deviceId: 'dev_abcd', ticketId: null, by: 'key_public' });
    await app.sessionEventHandled(await app.publishSession('SessionEnded', plain, 2, { outcome: 'abandoned', notes: null, by: 'key_public' }));
    expect(await app.eventCount()).toBe(eventsBefore);
  });

  it('catches up after a restart with a session that ended while tickets was down', async () => {
    const ticket = await app.createTicket();
    const session = freshId('ses');
    await app.publishSession('SessionCreated', session, 1, { code: '123-456', deviceId: null, ticketId: ticket.id, by: 'key_public' });
    await ticketWhen(ticket.id, 'in progress', (t) => t['status'] === 'in_progress');
    await app.restart(async () => {
      await app.publishSession('SessionEnded', session, 2, { outcome: 'resolved', notes: null, by: 'key_tech' });
    });
    expect(await ticketWhen(ticket.id, 'closed', (t) => t['status'] === 'closed')).toMatchObject({ sessionId: session, resolution: 'session ended: resolved' });
  });

  it('rebuilds the tickets read model and the sessions mirror identical to the live ones', async () => {
    expect(await app.rebuild('tickets')).toMatchObject({ state: 'succeeded', result: { matchedLive: true } });
    expect(await app.rebuild('sessions')).toMatchObject({ state: 'succeeded', result: { matchedLive: true } });
  });
});
