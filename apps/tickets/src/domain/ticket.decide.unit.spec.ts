import { TICKET_EVENTS } from '@keyward/contracts';
import { deciderSpec } from '@keyward/testing';
import type { CreateTicket, TicketCommand } from './ticket.commands';
import { decide } from './ticket.decide';
import type { TicketAggregate, TicketState } from './ticket.state';
import { evolve, initialState } from './ticket.state';
import { TICKET_RULE_CODES, TicketRuleViolation } from './ticket-rule-violation';

const TICKET_ID = 'tkt_0001';
const ACCOUNT_ID = 'acc_01';
const NOW = new Date('2026-06-15T10:00:00.000Z');
const ACTIVE_TECH = { id: 'tech_0001', active: true };

/** A named device is, unless a test says otherwise, one the devices mirror knows in the account. */
function create(overrides: Partial<CreateTicket['data']> = {}): CreateTicket {
  const device = typeof overrides.deviceId === 'string' ? { id: overrides.deviceId, removed: false } : null;
  return {
    type: 'CreateTicket',
    data: {
      reference: 'TKT-7K3Q9P', requesterName: 'Ada Lovelace', requesterEmail: 'ada@example.com', contact: null,
      problemDescription: 'The printer prints only question marks', deviceId: null, device, by: 'key_public', ...overrides,
    },
  };
}

const spec = deciderSpec({ decide, evolve, initialState, events: TICKET_EVENTS }, { aggregateId: TICKET_ID, accountId: ACCOUNT_ID, now: NOW, versionOf: (s) => s?.version ?? 0 });

/** Runs commands from nothing, folding each one's events as the store would, and returns the state. */
function given(...commands: TicketCommand[]): TicketState {
  const state = spec.after(commands);
  if (state === null) throw new Error('no ticket');
  return state;
}

function refusal(state: TicketAggregate, command: TicketCommand): { code: string; kind: string } {
  const { code, kind } = spec.givenState(state).when(command).thenThrows(TicketRuleViolation);
  return { code, kind };
}

const assign = (technician: { id: string; active: boolean } | null, technicianId = 'tech_0001'): TicketCommand =>
  ({ type: 'AssignTicket', data: { technicianId, technician, by: 'key_admin' } });
const inProgress = (sessionId = 'ses_0001'): TicketCommand => ({ type: 'MarkTicketInProgress', data: { sessionId } });
const close = (resolution: string | null = 'fixed', sessionId: string | null = null): TicketCommand =>
  ({ type: 'CloseTicket', data: { by: 'key_admin', resolution, sessionId } });

describe('ticket decide', () => {
  describe('create', () => {
    it('records TicketCreated with trimmed text and a blank contact as none', () => {
      spec.given().when(create({ requesterName: '  Ada  ', contact: '   ', problemDescription: ' broken ', deviceId: 'dev_0001' })).then([{
        type: 'TicketCreated', schemaVersion: 1,
        data: { reference: 'TKT-7K3Q9P', requesterName: 'Ada', requesterEmail: 'ada@example.com', contact: null, problemDescription: 'broken', deviceId: 'dev_0001', by: 'key_public' },
      }]);
    });

    it('starts a ticket open, unassigned, with no session or resolution', () => {
      expect(given(create())).toMatchObject({ status: 'open', technicianId: null, sessionId: null, resolution: null, closedAt: null, version: 1 });
    });

    it.each([
      ['a blank requester name', { requesterName: '   ' }, 'invalid_requester_name'],
      ['a blank problem description', { problemDescription: '' }, 'invalid_problem_description'],
      ['an email without @', { requesterEmail: 'ada.example.com' }, 'invalid_requester_email'],
      ['a device id of another kind', { deviceId: 'tech_0001' }, 'invalid_device_id'],
      ['a device the mirror does not know in the account (or another account\'s)', { deviceId: 'dev_0002', device: null }, 'unknown_device'],
      ['a device the mirror answered for another id', { deviceId: 'dev_0002', device: { id: 'dev_0003', removed: false } }, 'unknown_device'],
      ['a removed device', { deviceId: 'dev_0002', device: { id: 'dev_0002', removed: true } }, 'device_removed'],
      ['a contact over 200 characters', { contact: 'x'.repeat(201) }, 'invalid_contact'],
    ])('refuses %s as invalid', (_what, overrides, code) => {
      expect(refusal(null, create(overrides))).toEqual({ code, kind: 'invalid' });
    });

    it('refuses to create a ticket that exists', () => {
      expect(refusal(given(create()), create())).toEqual({ code: 'ticket_exists', kind: 'conflict' });
    });

    it('treats a malformed generated reference as a bug, not a client error', () => {
      expect(() => decide(create({ reference: 'TKT-ILOU00' }), null, NOW)).toThrow(/not a ticket reference/);
    });
  });

  describe('assign', () => {
    it('assigns an open ticket to an active technician', () => {
      expect(given(create(), assign(ACTIVE_TECH))).toMatchObject({ status: 'assigned', technicianId: 'tech_0001' });
    });

    it('reassigns to another technician', () => {
      expect(given(create(), assign(ACTIVE_TECH), assign({ id: 'tech_0002', active: true }, 'tech_0002'))).toMatchObject({ technicianId: 'tech_0002', version: 3 });
    });

    it('records nothing when the technician is already the assignee', () => {
      spec.givenState(given(create(), assign(ACTIVE_TECH))).when(assign(ACTIVE_TECH)).thenNothing();
    });

    it('keeps a ticket in progress when it is reassigned', () => {
      expect(given(create(), inProgress(), assign(ACTIVE_TECH))).toMatchObject({ status: 'in_progress', technicianId: 'tech_0001' });
    });

    it('refuses a technician the mirror does not know', () => {
      expect(refusal(given(create()), assign(null))).toEqual({ code: 'unknown_technician', kind: 'invalid' });
    });

    it('refuses a deactivated technician', () => {
      expect(refusal(given(create()), assign({ id: 'tech_0001', active: false }))).toEqual({ code: 'technician_deactivated', kind: 'invalid' });
    });

    it('refuses to assign a closed ticket, before looking at the technician', () => {
      expect(refusal(given(create(), close()), assign(null))).toEqual({ code: 'ticket_closed', kind: 'conflict' });
    });

    it('answers not found for a ticket that does not exist', () => {
      expect(refusal(null, assign(ACTIVE_TECH))).toEqual({ code: 'ticket_not_found', kind: 'not_found' });
    });
  });

  describe('in progress', () => {
    it('puts an open or assigned ticket in progress with the session', () => {
      expect(given(create(), inProgress('ses_0009'))).toMatchObject({ status: 'in_progress', sessionId: 'ses_0009' });
      expect(given(create(), assign(ACTIVE_TECH), inProgress('ses_0009'))).toMatchObject({ status: 'in_progress', sessionId: 'ses_0009', technicianId: 'tech_0001' });
    });

    it('records nothing for a ticket already in progress (a redelivery, or a second session)', () => {
      const state = given(create(), inProgress('ses_0001'));
      spec.givenState(state).when(inProgress('ses_0001')).thenNothing();
      spec.givenState(state).when(inProgress('ses_0002')).thenNothing();
    });

    it('refuses a closed ticket', () => {
      expect(refusal(given(create(), close()), inProgress())).toEqual({ code: 'ticket_closed', kind: 'conflict' });
    });
  });

  describe('close', () => {
    it('closes with the resolution and the time', () => {
      expect(given(create(), close('  replaced the toner  '))).toMatchObject({ status: 'closed', resolution: 'replaced the toner', closedAt: NOW.toISOString(), sessionId: null });
    });

    it('records the session whose end closed it', () => {
      expect(given(create(), inProgress('ses_0001'), close('session ended: resolved', 'ses_0001'))).toMatchObject({ status: 'closed', sessionId: 'ses_0001', resolution: 'session ended: resolved' });
    });

    it('keeps the session that put it in progress when closed through the API', () => {
      expect(given(create(), inProgress('ses_0001'), close('done', null))).toMatchObject({ sessionId: 'ses_0001' });
    });

    it('is idempotent: closing a closed ticket records nothing and keeps the first resolution', () => {
      const state = given(create(), close('first'));
      spec.givenState(state).when(close('second')).thenNothing();
      expect(state.resolution).toBe('first');
    });

    it('refuses a resolution over 2000 characters', () => {
      expect(refusal(given(create()), close('x'.repeat(2001)))).toEqual({ code: 'invalid_resolution', kind: 'invalid' });
    });
  });

  it('gives every rule code an HTTP class', () => {
    for (const kind of Object.values(TICKET_RULE_CODES)) expect(['conflict', 'invalid', 'not_found']).toContain(kind);
  });
});

describe('ticket evolve', () => {
  it('refuses an event before TicketCreated (a corrupt stream)', () => {
    expect(() => evolve(null, { id: 'e', type: 'TicketClosed', schemaVersion: 1, aggregateId: TICKET_ID, accountId: ACCOUNT_ID, version: 1, occurredAt: NOW.toISOString(), data: { by: 'k', resolution: null, sessionId: null } })).toThrow(/never created/);
  });

  it('refuses a second TicketCreated', () => {
    const state = given(create());
    expect(() => evolve(state, { id: 'e', type: 'TicketCreated', schemaVersion: 1, aggregateId: TICKET_ID, accountId: ACCOUNT_ID, version: 2, occurredAt: NOW.toISOString(), data: { ...create().data } })).toThrow(/already exists/);
  });
});
