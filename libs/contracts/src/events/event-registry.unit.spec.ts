import type { EventEnvelope } from './event-envelope';
import { EventRegistry, olderShape } from './event-registry';
import { integer, object, text } from './schema';
import { DEVICE_EVENTS, KEY_EVENTS, SESSION_EVENTS, TECHNICIAN_EVENTS, TICKET_EVENTS } from './topic-registries';

const HASH = 'a'.repeat(64);

function envelope(type: string, data: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: 'evt_1', type, schemaVersion: 1, aggregateId: 'agg_1', accountId: 'acc_1', version: 1, occurredAt: '2026-03-01T10:00:00.000Z', data, ...extra };
}

function reason(registry: { parse(v: string): { ok: boolean; reason?: string } }, value: unknown): string | undefined {
  const r = registry.parse(JSON.stringify(value));
  return r.ok ? undefined : r.reason;
}

const VALID: Record<string, [{ parse(v: string): { ok: boolean; reason?: string } }, Record<string, unknown>][]> = {
  keys: [
    [KEY_EVENTS, envelope('KeyCreated', { kind: 'public', name: 'w', permissions: ['sessions:create'], allowedIps: ['10.0.0.0/8'], expiresAt: '2027-01-01T00:00:00Z', createdBy: 'key_a', secretHash: HASH, tokenPrefix: 'kw_pk_abc' })],
    [KEY_EVENTS, envelope('KeyDisabled', { by: 'key_a', reason: 'r' })],
    [KEY_EVENTS, envelope('KeyEnabled', { by: 'key_a', expiresAt: '2027-01-01T00:00:00Z' })],
    [KEY_EVENTS, envelope('KeyExpired', { expiredAt: '2027-01-01T00:00:00Z' })],
    [KEY_EVENTS, envelope('KeyRotated', { by: 'key_a', secretHash: HASH, tokenPrefix: 'kw_pk_x', previousSecretHash: HASH, graceUntil: '2027-01-01T00:00:00Z' })],
    [KEY_EVENTS, envelope('KeyExpiryChanged', { by: 'key_a', expiresAt: '2027-01-01T00:00:00Z' })],
    [KEY_EVENTS, envelope('KeyPermissionsChanged', { by: 'key_a', permissions: [] })],
    [KEY_EVENTS, envelope('KeyAllowedIpsChanged', { by: 'key_a', allowedIps: ['::1'] })],
    [KEY_EVENTS, envelope('KeyRevoked', { by: 'key_a' }, { correlationId: 'req_1', causationId: 'req_1' })],
  ],
  others: [
    [TECHNICIAN_EVENTS, envelope('TechnicianRegistered', { name: 'Ada', email: 'a@x.io', by: 'k' })],
    [TECHNICIAN_EVENTS, envelope('TechnicianUpdated', { email: 'b@x.io', by: 'k' })],
    [TECHNICIAN_EVENTS, envelope('TechnicianDeactivated', { by: 'k' })],
    [DEVICE_EVENTS, envelope('DeviceRegistered', { name: 'pc', os: 'linux', hostname: 'pc', tags: ['a'], ownerTechnicianId: null, by: 'k' })],
    [DEVICE_EVENTS, envelope('DeviceUpdated', { ownerTechnicianId: null, by: 'k' })],
    [DEVICE_EVENTS, envelope('DeviceRemoved', { by: 'k' })],
    [TICKET_EVENTS, envelope('TicketCreated', { reference: 'TKT-1', requesterName: 'G', requesterEmail: 'g@x.io', contact: null, problemDescription: 'p', deviceId: null, by: 'k' })],
    [TICKET_EVENTS, envelope('TicketAssigned', { technicianId: 'tech_1', by: 'k' })],
    [TICKET_EVENTS, envelope('TicketInProgress', { sessionId: 'ses_1' })],
    [TICKET_EVENTS, envelope('TicketClosed', { by: 'k', resolution: null, sessionId: null })],
    [SESSION_EVENTS, envelope('SessionCreated', { code: '123-456', deviceId: 'dev_1', ticketId: null, by: 'k' })],
    [SESSION_EVENTS, envelope('SessionStarted', { technicianId: 'tech_1', by: 'k' })],
    [SESSION_EVENTS, envelope('SessionEnded', { outcome: 'resolved', notes: null, by: 'k' })],
  ],
};

describe('event registries', () => {
  it.each([...VALID['keys'] ?? [], ...VALID['others'] ?? []])('reads a well-formed event (%#)', (registry, value) => {
    expect(reason(registry, value)).toBeUndefined();
  });

  it('refuses a KeyCreated without its data, naming the first missing field', () => {
    expect(reason(KEY_EVENTS, envelope('KeyCreated', {}))).toBe('KeyCreated v1: data.kind is required');
  });

  it.each([
    ['not JSON', 'this is not JSON {'],
    ['JSON null', 'null'],
    ['an array', '[1,2]'],
  ])('refuses a message that is %s', (_what, raw) => {
    expect(KEY_EVENTS.parse(raw).ok).toBe(false);
  });

  it('refuses bytes that are not text and a message without a value', () => {
    expect(KEY_EVENTS.parse(Buffer.from([0xff, 0xfe, 0x00])).ok).toBe(false);
    expect(KEY_EVENTS.parse(null)).toEqual({ ok: false, reason: 'the message has no value' });
  });

  it.each([
    ['a type of another topic', envelope('DeviceRemoved', { by: 'k' }), 'DeviceRemoved is not an event of keys.events'],
    ['a version that is not a positive integer', envelope('KeyRevoked', { by: 'k' }, { version: 0 }), 'event.version must be an integer from 1 to 9007199254740991'],
    ['no occurredAt', envelope('KeyRevoked', { by: 'k' }, { occurredAt: 'yesterday' }), 'event.occurredAt must be an ISO-8601 date-time'],
    ['a permission list that is not one', envelope('KeyPermissionsChanged', { by: 'k', permissions: 'keys:manage' }), 'KeyPermissionsChanged v1: data.permissions must be an array'],
    ['a secret hash that is not SHA-256 hex', envelope('KeyRotated', { by: 'k', secretHash: 'x', tokenPrefix: 'p', previousSecretHash: HASH, graceUntil: '2027-01-01T00:00:00Z' }), 'KeyRotated v1: data.secretHash does not have the expected form'],
    ['a kind that does not exist', envelope('KeyCreated', { kind: 'root', name: 'w', permissions: [], allowedIps: [], expiresAt: '2027-01-01T00:00:00Z', createdBy: 'k', secretHash: HASH, tokenPrefix: 'p' }), 'KeyCreated v1: data.kind must be one of public, private'],
    ['a schemaVersion newer than the code', envelope('KeyRevoked', { by: 'k' }, { schemaVersion: 2 }), 'KeyRevoked schemaVersion 2 is newer than this code reads (1)'],
  ])('refuses %s', (_what, value, why) => {
    expect(reason(KEY_EVENTS, value)).toBe(why);
  });

  it('hands back only the envelope\'s checked fields', () => {
    const r = SESSION_EVENTS.parse(JSON.stringify(envelope('SessionStarted', { technicianId: 't', by: 'k' }, { extra: 'x' })));
    expect(r.ok && Object.keys(r.event).sort()).toEqual(['accountId', 'aggregateId', 'data', 'id', 'occurredAt', 'schemaVersion', 'type', 'version']);
  });

  describe('upcasting', () => {
    const registry = new EventRegistry<{ Counted: { by: number; unit: string } }>('counters.events', {
      Counted: {
        schemaVersion: 2,
        data: object({ by: integer(1), unit: text({ min: 1 }) }),
        older: { 1: olderShape(object({ by: integer(1) }), (d) => ({ by: d.by, unit: 'each' })) },
      },
    });
    const v1 = envelope('Counted', { by: 3 });

    it('reads an older schemaVersion as the current one', () => {
      const r = registry.parse(JSON.stringify(v1));
      expect(r.ok && r.event).toMatchObject({ schemaVersion: 2, data: { by: 3, unit: 'each' } });
    });

    it('upcasts a stored event for the event store with the same shapes, and leaves a current one as it is', () => {
      const stored: EventEnvelope = { id: 'evt_1', type: 'Counted', schemaVersion: 1, aggregateId: 'c', accountId: 'a', version: 1, occurredAt: '2026-03-01T10:00:00.000Z', data: { by: 3 } };
      expect(registry.upcast(stored)).toMatchObject({ schemaVersion: 2, data: { by: 3, unit: 'each' } });
      const current: EventEnvelope = { ...stored, schemaVersion: 2, data: { by: 3, unit: 'each' } };
      expect(registry.upcast(current)).toBe(current);
      expect(KEY_EVENTS.upcast({ ...stored, type: 'KeyRevoked', data: { by: 'k' } })).toMatchObject({ schemaVersion: 1, data: { by: 'k' } });
    });

    it('refuses an older shape that does not match its own schema', () => {
      expect(reason(registry, envelope('Counted', { by: 'three' }))).toBe('Counted v1: data.by must be an integer from 1 to 9007199254740991');
    });
  });
});

describe('KeyCreated schemaVersion 2 (allowed origins and rate limit)', () => {
  const v1 = { kind: 'public', name: 'w', permissions: ['sessions:create'], allowedIps: [], expiresAt: '2027-01-01T00:00:00Z', createdBy: 'key_a', secretHash: HASH, tokenPrefix: 'kw_pk_abc' };

  it('reads a v1 KeyCreated as v2: no origin restriction, and a public key gets the public default limit', () => {
    const r = KEY_EVENTS.parse(JSON.stringify(envelope('KeyCreated', v1)));
    expect(r.ok && r.event).toMatchObject({ schemaVersion: 2, data: { allowedOrigins: [], rateLimit: { requests: 300, windowSeconds: 60, burst: 60 } } });
    const p = KEY_EVENTS.parse(JSON.stringify(envelope('KeyCreated', { ...v1, kind: 'private', tokenPrefix: 'kw_sk_abc' })));
    expect(p.ok && p.event.data).toMatchObject({ rateLimit: null });
  });

  it('reads a v2 with both fields and refuses one without them', () => {
    const full = { ...v1, allowedOrigins: ['https://a.example.com'], rateLimit: { requests: 5, windowSeconds: 60, burst: 5 } };
    expect(reason(KEY_EVENTS, envelope('KeyCreated', full, { schemaVersion: 2 }))).toBeUndefined();
    expect(reason(KEY_EVENTS, envelope('KeyCreated', v1, { schemaVersion: 2 }))).toBe('KeyCreated v2: data.allowedOrigins is required');
    expect(reason(KEY_EVENTS, envelope('KeyCreated', { ...full, rateLimit: { requests: 0, windowSeconds: 60, burst: 5 } }, { schemaVersion: 2 }))).toMatch(/rateLimit.requests/);
  });

  it('reads the two new change events', () => {
    expect(reason(KEY_EVENTS, envelope('KeyAllowedOriginsChanged', { by: 'key_a', allowedOrigins: ['https://*.example.com'] }))).toBeUndefined();
    expect(reason(KEY_EVENTS, envelope('KeyRateLimitChanged', { by: 'key_a', rateLimit: null }))).toBeUndefined();
    expect(reason(KEY_EVENTS, envelope('KeyRateLimitChanged', { by: 'key_a', rateLimit: { requests: 1, windowSeconds: 1, burst: 1 } }))).toBeUndefined();
  });
});
