import { SESSION_EVENTS } from '@keyward/contracts';
import { deciderSpec } from '@keyward/testing';
import type { CreateSession, SessionCommand } from './session.commands';
import { decide } from './session.decide';
import type { SessionAggregate, SessionState } from './session.state';
import { evolve, initialState } from './session.state';
import { SessionRuleViolation } from './session-rule-violation';

const SESSION_ID = 'ses_0001';
const ACCOUNT_ID = 'acc_01';
const NOW = new Date('2026-06-15T10:00:00.000Z');
const TECH = { id: 'tech_0001', active: true };

function create(overrides: Partial<CreateSession['data']> = {}): CreateSession {
  return { type: 'CreateSession', data: { code: '482-913', deviceId: null, device: null, ticketId: null, ticket: null, by: 'key_pub', ...overrides } };
}
const start = (technician: { id: string; active: boolean } | null = TECH, technicianId = 'tech_0001'): SessionCommand =>
  ({ type: 'StartSession', data: { technicianId, technician, by: 'key_tech' } });
const end = (outcome = 'resolved', notes: string | null = null): SessionCommand => ({ type: 'EndSession', data: { outcome, notes, by: 'key_tech' } });

const spec = deciderSpec({ decide, evolve, initialState, events: SESSION_EVENTS }, { aggregateId: SESSION_ID, accountId: ACCOUNT_ID, now: NOW, versionOf: (s) => s?.version ?? 0 });
/** Each event a second after the one before it. */
const later = (version: number): Date => new Date(NOW.getTime() + version * 1000);

/** Runs commands from nothing, folding each one's events as the store would, and returns the state. */
function given(...commands: SessionCommand[]): SessionState {
  const state = spec.after(commands, later);
  if (state === null) throw new Error('no session');
  return state;
}

function refusal(state: SessionAggregate, command: SessionCommand): { code: string; kind: string } {
  const { code, kind } = spec.givenState(state).when(command).thenThrows(SessionRuleViolation);
  return { code, kind };
}

describe('session decide', () => {
  describe('create', () => {
    it('opens a waiting session with its join code, for a known device and an open ticket', () => {
      spec.given().when(create({ deviceId: 'dev_0001', device: { id: 'dev_0001', removed: false }, ticketId: 'tkt_0001', ticket: { id: 'tkt_0001', status: 'assigned' } })).then([{ type: 'SessionCreated', schemaVersion: 1, data: { code: '482-913', deviceId: 'dev_0001', ticketId: 'tkt_0001', by: 'key_pub' } }]);
      expect(given(create())).toMatchObject({ status: 'waiting', technicianId: null, outcome: null, startedAt: null, endedAt: null, version: 1 });
    });

    it('opens an ad-hoc session with neither device nor ticket', () => {
      expect(decide(create(), null, NOW)).toHaveLength(1);
    });

    it.each([
      ['a device the mirror does not know', { deviceId: 'dev_0001', device: null }, 'unknown_device'],
      ['a removed device', { deviceId: 'dev_0001', device: { id: 'dev_0001', removed: true } }, 'device_removed'],
      ['a ticket the mirror does not know', { ticketId: 'tkt_0001', ticket: null }, 'unknown_ticket'],
      ['a closed ticket', { ticketId: 'tkt_0001', ticket: { id: 'tkt_0001', status: 'closed' as const } }, 'ticket_closed'],
    ])('refuses %s with a 422 code', (_what, overrides, code) => {
      expect(refusal(null, create(overrides))).toEqual({ code, kind: 'invalid' });
    });

    it('says in an unknown reference that it may be not yet known and a retry will succeed', () => {
      expect(() => decide(create({ ticketId: 'tkt_0001', ticket: null }), null, NOW)).toThrow(/retry shortly and the same request will succeed/);
    });

    it('refuses to create a session that exists', () => {
      expect(refusal(given(create()), create())).toEqual({ code: 'session_exists', kind: 'conflict' });
    });

    it('treats a malformed generated join code as a bug', () => {
      expect(() => decide(create({ code: '48291' }), null, NOW)).toThrow(/not a join code/);
    });
  });

  describe('start', () => {
    it('makes a waiting session active with the technician and the time', () => {
      expect(given(create(), start())).toMatchObject({ status: 'active', technicianId: 'tech_0001', startedAt: '2026-06-15T10:00:02.000Z', version: 2 });
    });

    it('refuses an unknown technician and a deactivated one', () => {
      expect(refusal(given(create()), start(null))).toEqual({ code: 'unknown_technician', kind: 'invalid' });
      expect(refusal(given(create()), start({ id: 'tech_0001', active: false }))).toEqual({ code: 'technician_deactivated', kind: 'invalid' });
    });

    it('refuses a session already started, even by the same technician', () => {
      expect(refusal(given(create(), start()), start())).toEqual({ code: 'session_already_started', kind: 'conflict' });
    });

    it('refuses an ended session', () => {
      expect(refusal(given(create(), end('abandoned')), start())).toEqual({ code: 'session_ended', kind: 'conflict' });
    });

    it('answers not found for a session that does not exist', () => {
      expect(refusal(null, start())).toEqual({ code: 'session_not_found', kind: 'not_found' });
    });
  });

  describe('end', () => {
    it('ends an active session with its outcome, trimmed notes and the time', () => {
      expect(given(create(), start(), end('unresolved', '  needs a new disk  '))).toMatchObject({
        status: 'ended', outcome: 'unresolved', notes: 'needs a new disk', endedAt: '2026-06-15T10:00:03.000Z',
      });
    });

    it('ends a waiting session only as abandoned', () => {
      expect(given(create(), end('abandoned'))).toMatchObject({ status: 'ended', outcome: 'abandoned' });
      expect(refusal(given(create()), end('resolved'))).toEqual({ code: 'session_not_started', kind: 'conflict' });
    });

    it('refuses to end an ended session (the first outcome stands)', () => {
      expect(refusal(given(create(), start(), end()), end('unresolved'))).toEqual({ code: 'session_ended', kind: 'conflict' });
    });

    it('refuses an outcome outside the contract, and notes over 5000 characters', () => {
      expect(refusal(given(create(), start()), end('fixed'))).toEqual({ code: 'invalid_outcome', kind: 'invalid' });
      expect(refusal(given(create(), start()), end('resolved', 'x'.repeat(5001)))).toEqual({ code: 'invalid_notes', kind: 'invalid' });
    });

    it('records blank notes as none', () => {
      expect(given(create(), start(), end('resolved', '   '))).toMatchObject({ notes: null });
    });
  });
});

describe('session evolve', () => {
  it('refuses an event before SessionCreated (a corrupt stream)', () => {
    expect(() => evolve(null, { id: 'e', type: 'SessionStarted', schemaVersion: 1, aggregateId: SESSION_ID, accountId: ACCOUNT_ID, version: 1, occurredAt: NOW.toISOString(), data: { technicianId: 'tech_1', by: 'k' } })).toThrow(/never created/);
  });
});
