import type { TechnicianEvent, TechnicianEventEnvelope } from '@keyward/contracts';
import type { TechnicianCommand, UpdateTechnician } from './technician.commands';
import { decide } from './technician.decide';
import { EMAIL_MAX_LENGTH, NAME_MAX_LENGTH, REASON_MAX_LENGTH } from './technician.rules';
import type { TechnicianAggregate, TechnicianState } from './technician.state';
import { evolve, initialState } from './technician.state';
import { TECHNICIAN_RULE_CODES, TechnicianRuleViolation } from './technician-rule-violation';

const ID = 'tech_0001';
const ACCOUNT = 'acc_01';
const NOW = new Date('2027-03-01T09:00:00.000Z');
const LATER = new Date('2027-03-02T09:00:00.000Z');

/** Wraps decided events the way the event store does, and folds them. */
function apply(state: TechnicianAggregate, events: readonly TechnicianEvent[], at: Date): TechnicianAggregate {
  let next = state;
  for (const event of events) {
    const version = (next?.version ?? 0) + 1;
    const envelope = { ...event, id: `evt_${version}`, aggregateId: ID, accountId: ACCOUNT, version, occurredAt: at.toISOString() } as TechnicianEventEnvelope;
    next = evolve(next, envelope);
  }
  return next;
}

function run(state: TechnicianAggregate, command: TechnicianCommand, at: Date = NOW): TechnicianAggregate {
  return apply(state, decide(command, state, at), at);
}

const register = (data: Partial<Extract<TechnicianCommand, { type: 'RegisterTechnician' }>['data']> = {}): TechnicianCommand => ({
  type: 'RegisterTechnician', data: { name: 'Ada Lovelace', email: 'ada@example.com', by: 'key_admin', emailHolder: null, ...data },
});
const update = (data: Partial<UpdateTechnician['data']>): TechnicianCommand => ({ type: 'UpdateTechnician', data: { by: 'key_admin', emailHolder: null, ...data } });
const deactivate = (reason?: string): TechnicianCommand => ({ type: 'DeactivateTechnician', data: { by: 'key_admin', ...(reason !== undefined ? { reason } : {}) } });

function registered(): TechnicianState {
  const state = run(initialState(), register());
  if (state === null) throw new Error('fixture did not register');
  return state;
}

function violation(fn: () => unknown): TechnicianRuleViolation {
  try {
    fn();
  } catch (e) {
    if (e instanceof TechnicianRuleViolation) return e;
    throw e;
  }
  throw new Error('expected a TechnicianRuleViolation, but nothing was thrown');
}

describe('Technician: register', () => {
  it('records TechnicianRegistered with the name trimmed and the email trimmed and lower-cased', () => {
    const events = decide(register({ name: '  Ada Lovelace ', email: ' Ada@Example.COM ' }), null, NOW);
    expect(events).toEqual([{ type: 'TechnicianRegistered', schemaVersion: 1, data: { name: 'Ada Lovelace', email: 'ada@example.com', by: 'key_admin' } }]);
  });

  it('folds into an active technician created and updated at the event instant', () => {
    expect(registered()).toEqual({
      id: ID, accountId: ACCOUNT, name: 'Ada Lovelace', email: 'ada@example.com', status: 'active',
      createdAt: NOW.toISOString(), updatedAt: NOW.toISOString(), deactivatedAt: null, version: 1,
    });
  });

  it('refuses an email another active technician of the account holds, naming that technician', () => {
    const v = violation(() => decide(register({ emailHolder: 'tech_other' }), null, NOW));
    expect({ code: v.code, kind: v.kind, details: v.details }).toEqual({
      code: 'technician_email_taken', kind: 'conflict', details: { email: 'ada@example.com', technicianId: 'tech_other' },
    });
  });

  it('refuses to register an id that already exists', () => {
    expect(violation(() => decide(register(), registered(), NOW)).code).toBe('technician_exists');
  });

  it.each([
    ['an empty name', 'invalid_name', { name: '' }],
    ['a blank name', 'invalid_name', { name: '   ' }],
    ['a name with a control character', 'invalid_name', { name: 'Ada\u0007' }],
    ['a name one character too long', 'invalid_name', { name: 'x'.repeat(NAME_MAX_LENGTH + 1) }],
    ['an email without @', 'invalid_email', { email: 'ada.example.com' }],
    ['an email without a dot in the domain', 'invalid_email', { email: 'ada@example' }],
    ['an email with a space', 'invalid_email', { email: 'ada lovelace@example.com' }],
    ['an email one character too long', 'invalid_email', { email: `${'a'.repeat(EMAIL_MAX_LENGTH - 11)}@example.com` }],
  ])('refuses %s with 422 %s', (_what, code, data) => {
    const v = violation(() => decide(register(data), null, NOW));
    expect({ code: v.code, kind: v.kind }).toEqual({ code, kind: 'invalid' });
  });

  it('accepts a name of exactly the maximum length, counted in characters a user sees', () => {
    const name = '👩'.repeat(NAME_MAX_LENGTH);
    expect(decide(register({ name }), null, NOW)).toHaveLength(1);
    expect(decide(register({ email: `${'a'.repeat(EMAIL_MAX_LENGTH - 12)}@example.com` }), null, NOW)).toHaveLength(1);
  });
});

describe('Technician: update', () => {
  it('records only the fields that changed', () => {
    const state = registered();
    expect(decide(update({ name: 'Ada King', email: 'ada@example.com' }), state, LATER)).toEqual([
      { type: 'TechnicianUpdated', schemaVersion: 1, data: { name: 'Ada King', by: 'key_admin' } },
    ]);
    expect(decide(update({ email: 'ADA.KING@example.com' }), state, LATER)).toEqual([
      { type: 'TechnicianUpdated', schemaVersion: 1, data: { email: 'ada.king@example.com', by: 'key_admin' } },
    ]);
  });

  it('folds a change into the state and moves updatedAt only', () => {
    const next = run(registered(), update({ name: 'Ada King', email: 'ada.king@example.com' }), LATER);
    expect(next).toMatchObject({ name: 'Ada King', email: 'ada.king@example.com', createdAt: NOW.toISOString(), updatedAt: LATER.toISOString(), version: 2 });
  });

  it('records nothing when every given value is the current one (after normalising)', () => {
    expect(decide(update({ name: ' Ada Lovelace ', email: 'ADA@example.com' }), registered(), LATER)).toEqual([]);
  });

  it('refuses an update without any field with 422 nothing_to_update', () => {
    const v = violation(() => decide(update({}), registered(), LATER));
    expect({ code: v.code, kind: v.kind }).toEqual({ code: 'nothing_to_update', kind: 'invalid' });
  });

  it('refuses an email another active technician holds, but not the technician\'s own current email', () => {
    expect(violation(() => decide(update({ email: 'grace@example.com', emailHolder: 'tech_grace' }), registered(), LATER)).code).toBe('technician_email_taken');
    // Unchanged: nothing to check, nothing recorded, whoever the lookup names.
    expect(decide(update({ email: 'ada@example.com', emailHolder: 'tech_grace' }), registered(), LATER)).toEqual([]);
    expect(decide(update({ email: 'new@example.com', emailHolder: ID }), registered(), LATER)).toHaveLength(1);
  });

  it('refuses any change to a deactivated technician with 409 technician_deactivated, even an unchanged one', () => {
    const gone = run(registered(), deactivate());
    for (const data of [{ name: 'Someone' }, { name: 'Ada Lovelace' }]) {
      const v = violation(() => decide(update(data), gone, LATER));
      expect({ code: v.code, kind: v.kind }).toEqual({ code: 'technician_deactivated', kind: 'conflict' });
    }
  });

  it('refuses invalid values with 422', () => {
    expect(violation(() => decide(update({ name: ' ' }), registered(), LATER)).code).toBe('invalid_name');
    expect(violation(() => decide(update({ email: 'nope' }), registered(), LATER)).code).toBe('invalid_email');
  });

  it('answers technician_not_found for a technician that does not exist', () => {
    for (const command of [update({ name: 'x' }), deactivate()]) {
      const v = violation(() => decide(command, null, NOW));
      expect({ code: v.code, kind: v.kind }).toEqual({ code: 'technician_not_found', kind: 'not_found' });
    }
  });
});

describe('Technician: deactivate', () => {
  it('records TechnicianDeactivated with the trimmed reason, and folds into a deactivated technician', () => {
    const state = registered();
    expect(decide(deactivate('  left the company '), state, LATER)).toEqual([
      { type: 'TechnicianDeactivated', schemaVersion: 1, data: { by: 'key_admin', reason: 'left the company' } },
    ]);
    expect(run(state, deactivate(), LATER)).toMatchObject({ status: 'deactivated', deactivatedAt: LATER.toISOString(), updatedAt: LATER.toISOString(), version: 2 });
  });

  it('leaves an empty reason out of the event', () => {
    expect(decide(deactivate('   '), registered(), LATER)).toEqual([{ type: 'TechnicianDeactivated', schemaVersion: 1, data: { by: 'key_admin' } }]);
  });

  it('is idempotent: deactivating a deactivated technician records nothing', () => {
    expect(decide(deactivate('again'), run(registered(), deactivate()), LATER)).toEqual([]);
  });

  it('refuses a reason over the maximum length', () => {
    expect(violation(() => decide(deactivate('x'.repeat(REASON_MAX_LENGTH + 1)), registered(), LATER)).code).toBe('invalid_reason');
  });
});

describe('Technician: evolve', () => {
  const envelope = (type: TechnicianEventEnvelope['type'], version: number, data: object): TechnicianEventEnvelope =>
    ({ id: `e${version}`, type, schemaVersion: 1, aggregateId: ID, accountId: ACCOUNT, version, occurredAt: NOW.toISOString(), data }) as TechnicianEventEnvelope;

  it('throws on a corrupt stream: a change before registration, or a second registration', () => {
    expect(() => evolve(null, envelope('TechnicianUpdated', 1, { name: 'x', by: 'k' }))).toThrow(/never registered/);
    expect(() => evolve(registered(), envelope('TechnicianRegistered', 2, { name: 'x', email: 'x@y.z', by: 'k' }))).toThrow(/already exists/);
  });
});

describe('Technician rule codes', () => {
  it('map to the HTTP classes the brief names', () => {
    expect(TECHNICIAN_RULE_CODES).toMatchObject({
      technician_email_taken: 'conflict', technician_deactivated: 'conflict', nothing_to_update: 'invalid', technician_not_found: 'not_found',
    });
  });
});
