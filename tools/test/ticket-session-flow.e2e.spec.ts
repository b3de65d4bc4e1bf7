import { randomUUID } from 'node:crypto';
import type { EventEnvelope, Permission } from '@keyward/contracts';
import { SERVICE_NAMES, SERVICES } from '@keyward/contracts';
import { createIdempotentProducer, ensureTopics, eventTopic } from '@keyward/messaging';
import type { ServiceProcess, TestKey } from '@keyward/testing';
import { keyProbe, publishTestKey, startServiceProcess, TEST_OPERATOR_TOKEN, testKafka, testName, waitFor } from '@keyward/testing';

// The session → ticket policy across the two real services, each its own process with its own
// database, on one topic prefix: sessions learns tickets from tickets.events, tickets learns
// sessions from sessions.events. Keys and technicians are put on their topics as the keys and
// technicians services would publish them. Measures how long each hop took.

const BOUND_MS = 10_000;
const ACCOUNT = 'acc_flow';

interface Reply {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly code: string | undefined;
}

async function call(url: string, method: string, path: string, secret: string, body?: unknown): Promise<Reply> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${secret}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  const parsed = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
  return { status: res.status, body: parsed, code: res.status >= 400 && typeof parsed['code'] === 'string' ? parsed['code'] : undefined };
}

function describeReply(r: Reply): string {
  return `${r.status} ${r.code ?? ''} ${JSON.stringify(r.body)}`;
}

describe('a session opened from a ticket drives the ticket, across the real tickets and sessions services', () => {
  const prefix = `${testName('flow')}.`;
  const timings: { step: string; ms: number }[] = [];
  let tickets: ServiceProcess | undefined;
  let sessions: ServiceProcess | undefined;
  let admin: TestKey;
  let publicKey: TestKey;
  let technicianId: string;

  beforeAll(async () => {
    const kafka = testKafka();
    const admin_ = kafka.admin();
    await admin_.connect();
    try {
      // Topics first: a topic created a moment ago can make the shared ensureTopics fail a start-up (reported).
      const topics = SERVICE_NAMES.flatMap((s) => (SERVICES[s].topic ? [eventTopic(`${prefix}${SERVICES[s].topic}`)] : []));
      await waitFor('the event topics', async () => {
        await ensureTopics(admin_, topics);
        for (const t of topics) await admin_.fetchTopicOffsets(t.topic);
        return true;
      }, { timeoutMs: 30_000, intervalMs: 200 });
    } finally {
      await admin_.disconnect();
    }
    const all: Permission[] = ['tickets:create', 'tickets:read', 'tickets:write', 'sessions:create', 'sessions:read', 'sessions:write', 'sessions:history:read'];
    admin = await publishTestKey(kafka, prefix, { accountId: ACCOUNT, kind: 'private', permissions: all });
    publicKey = await publishTestKey(kafka, prefix, { accountId: ACCOUNT, kind: 'public', permissions: ['tickets:create', 'sessions:create'] });

    technicianId = `tech_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
    const technician: EventEnvelope = {
      id: randomUUID(), type: 'TechnicianRegistered', schemaVersion: 1, aggregateId: technicianId, accountId: ACCOUNT, version: 1,
      occurredAt: new Date().toISOString(), data: { name: 'Grace Hopper', email: 'grace@example.com', by: admin.keyId },
    };
    const producer = createIdempotentProducer(kafka);
    await producer.connect();
    try {
      await producer.send({ topic: `${prefix}${SERVICES.technicians.topic}`, acks: -1, messages: [{ key: technicianId, value: JSON.stringify(technician) }] });
    } finally {
      await producer.disconnect();
    }

    const env = { KAFKA_TOPIC_PREFIX: prefix, LOG_LEVEL: 'info' };
    [tickets, sessions] = await Promise.all([
      startServiceProcess('tickets', { env, database: testName('tickets') }),
      startServiceProcess('sessions', { env, database: testName('sessions') }),
    ]);
    for (const [service, url] of [['tickets', tickets.url], ['sessions', sessions.url]] as const) {
      for (const key of [admin, publicKey]) {
        await waitFor(`${service} to know key ${key.keyId}`, async () => (await call(url, 'GET', keyProbe(service).path, key.secret)).code !== 'unknown_key');
      }
    }
  }, 180_000);

  afterAll(async () => {
    if (timings.length > 0) console.log(`ticket ↔ session propagation (bound ${BOUND_MS} ms):\n${timings.map((t) => `  ${t.step.padEnd(58)} ${String(t.ms).padStart(6)} ms`).join('\n')}`);
    const outputs = await Promise.all([tickets, sessions].map(async (p) => {
      if (!p) return '';
      await p.stop();
      return p.output();
    }));
    for (const out of outputs) expect(out).not.toMatch(/internal_error|unhandled error/);
  });

  /** Polls until `probe` holds, and records the time since `since`. */
  async function measured(step: string, since: number, probe: () => Promise<Reply | false>): Promise<Reply> {
    const reply = await waitFor(step, probe, { timeoutMs: BOUND_MS, intervalMs: 20 });
    const ms = Date.now() - since;
    timings.push({ step, ms });
    expect({ step, underBound: ms < BOUND_MS }).toEqual({ step, underBound: true });
    return reply;
  }

  it('marks the ticket in progress when a session is opened from it and closes it when the session ends, each within the bound', async () => {
    const t = tickets!;
    const s = sessions!;
    // An end user's app files a ticket with the public key, and gets only its id, reference and status.
    const filed = await call(t.url, 'POST', '/v1/tickets', publicKey.secret, {
      requesterName: 'Ada Lovelace', requesterEmail: 'ada@example.com', problemDescription: 'The engine prints only question marks',
    });
    expect(filed.status).toBe(201);
    expect(Object.keys(filed.body).sort()).toEqual(['id', 'reference', 'status']);
    const ticketId = String(filed.body['id']);
    const filedAt = Date.now();

    // The session service learns the ticket from tickets.events; until then it answers 422 unknown_ticket.
    const opened = await measured('ticket created → sessions accepts a session for it', filedAt, async () => {
      const r = await call(s.url, 'POST', '/v1/sessions', publicKey.secret, { ticketId });
      // A public key is rate limited (the public default; the service keeps twice its burst): a poll
      // this fast may run through it on a slow box, and then waits for the bucket like any client.
      if (r.code === 'unknown_ticket' || r.code === 'rate_limited') return false;
      if (r.status !== 201) throw new Error(`unexpected answer: ${describeReply(r)}`);
      return r;
    });
    const openedAt = Date.now();
    expect(Object.keys(opened.body).sort()).toEqual(['code', 'id', 'status']);
    const sessionId = String(opened.body['id']);

    const inProgress = await measured('session created → ticket in_progress', openedAt, async () => {
      const r = await call(t.url, 'GET', `/v1/tickets/${ticketId}`, admin.secret);
      return r.body['status'] === 'in_progress' ? r : false;
    });
    expect(inProgress.body).toMatchObject({ sessionId, closedAt: null });

    await waitFor('the session to start once sessions knows the technician', async () => {
      const r = await call(s.url, 'POST', `/v1/sessions/${sessionId}/start`, admin.secret, { technicianId });
      if (r.code === 'unknown_technician') return false;
      if (r.status !== 200) throw new Error(`unexpected answer: ${describeReply(r)}`);
      return r;
    });
    const ended = await call(s.url, 'POST', `/v1/sessions/${sessionId}/end`, admin.secret, { outcome: 'resolved', notes: 'Reseated the card reader' });
    expect(ended.body).toMatchObject({ status: 'ended', outcome: 'resolved' });
    const endedAt = Date.now();

    const closed = await measured('session ended → ticket closed', endedAt, async () => {
      const r = await call(t.url, 'GET', `/v1/tickets/${ticketId}`, admin.secret);
      return r.body['status'] === 'closed' ? r : false;
    });
    expect(closed.body).toMatchObject({ resolution: 'session ended: resolved', sessionId, closedAt: expect.any(String) });

    // And the close travels back: sessions refuses a new session from the closed ticket.
    await measured('ticket closed → sessions refuses a session for it', endedAt, async () => {
      const r = await call(s.url, 'POST', '/v1/sessions', publicKey.secret, { ticketId });
      if (r.status === 201) throw new Error(`a session was opened from a closed ticket: ${describeReply(r)}`);
      return r.code === 'ticket_closed' ? r : false;
    });
  });

  it('rebuilds each read model and each mirror of the other service by replay, identical to the live one', async () => {
    const rebuild = async (url: string, name: string): Promise<Record<string, unknown>> => {
      const started = await call(url, 'POST', `/admin/projections/${name}/rebuild`, TEST_OPERATOR_TOKEN);
      expect(started.status).toBe(202);
      return waitFor(`the rebuild of ${name} at ${url}`, async () => {
        const job = await call(url, 'GET', `/admin/projections/${name}/rebuild`, TEST_OPERATOR_TOKEN);
        return job.body['state'] === 'running' ? false : job.body;
      }, { timeoutMs: 30_000, intervalMs: 100 });
    };
    const t = tickets!;
    const s = sessions!;
    const ticketsBefore = await call(t.url, 'GET', '/v1/tickets?limit=100', admin.secret);
    const historyBefore = await call(s.url, 'GET', '/v1/sessions/history?limit=100', admin.secret);
    expect((ticketsBefore.body['items'] as unknown[]).length).toBeGreaterThan(0);
    expect((historyBefore.body['items'] as unknown[]).length).toBeGreaterThan(0);

    for (const [url, name] of [[t.url, 'tickets'], [t.url, 'sessions'], [s.url, 'sessions'], [s.url, 'tickets']] as const) {
      expect({ url, name, job: await rebuild(url, name) }).toMatchObject({ url, name, job: { state: 'succeeded', result: { matchedLive: true } } });
    }
    expect(await call(t.url, 'GET', '/v1/tickets?limit=100', admin.secret)).toEqual(ticketsBefore);
    expect(await call(s.url, 'GET', '/v1/sessions/history?limit=100', admin.secret)).toEqual(historyBefore);
  });
});
