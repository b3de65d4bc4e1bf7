import type { TechnicianEventEnvelope } from '@keyward/contracts';
import { TECHNICIAN_EVENTS } from '@keyward/contracts';
import { deciderSpec } from '@keyward/testing';
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

const spec = deciderSpec({ decide, evolve, initialState, events: TECHNICIAN_EVENTS }, { aggregateId: ID, accountId: ACCOUNT, now: NOW, versionOf: (s) => s?.version ?? 0 });
const run = (state: TechnicianAggregate, command: TechnicianCommand, at: Date = NOW): TechnicianAggregate => spec.run(state, command, at);

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

describe('Technician: register', () => {
  it('records TechnicianRegistered with the name trimmed and the email trimmed and lower-cased', () => {
    spec.given().when(register({ name: '  Ada Lovelace ', email: ' Ada@Example.COM ' })).then([{ type: 'TechnicianRegistered', schemaVersion: 1, data: { name: 'Ada Lovelace', email: 'ada@example.com', by: 'key_admin' } }]);
  });

  it('folds into an active technician created and updated at the event instant', () => {
    expect(registered()).toEqual({
      id: ID, accountId: ACCOUNT, name: 'Ada Lovelace', email: 'ada@example.com', status: 'active',
      createdAt: NOW.toISOString(), updatedAt: NOW.toISOString(), deactivatedAt: null, version: 1,
    });
  });

  it('refuses an email another active technician of the account holds, naming that technician', () => {
    const v = spec.given().when(register({ emailHolder: 'tech_other' })).thenThrows(TechnicianRuleViolation);
    expect({ code: v.code, kind: v.kind, details: v.details }).toEqual({
      code: 'technician_email_taken', kind: 'conflict', details: { email: 'ada@example.com', technicianId: 'tech_other' },
    });
  });

  it('refuses to register an id that already exists', () => {
    spec.givenState(registered()).when(register()).thenThrows(TechnicianRuleViolation, 'technician_exists');
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
    const v = spec.given().when(register(data)).thenThrows(TechnicianRuleViolation);
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
    spec.givenState(state).when(update({ name: 'Ada King', email: 'ada@example.com' }), LATER).then([
      { type: 'TechnicianUpdated', schemaVersion: 1, data: { name: 'Ada King', by: 'key_admin' } },
    ]);
    spec.givenState(state).when(update({ email: 'ADA.KING@example.com' }), LATER).then([
      { type: 'TechnicianUpdated', schemaVersion: 1, data: { email: 'ada.king@example.com', by: 'key_admin' } },
    ]);
  });

  it('folds a change into the state and moves updatedAt only', () => {
    const next = run(registered(), update({ name: 'Ada King', email: 'ada.king@example.com' }), LATER);
    expect(next).toMatchObject({ name: 'Ada King', email: 'ada.king@example.com', createdAt: NOW.toISOString(), updatedAt: LATER.toISOString(), version: 2 });
  });

  it('records nothing when every given value is the current one (after normalising)', () => {
    spec.givenState(registered()).when(update({ name: ' Ada Lovelace ', email: 'ADA@example.com' }), LATER).thenNothing();
  });

  it('refuses an update without any field with 422 nothing_to_update', () => {
    const v = spec.givenState(registered()).when(update({}), LATER).thenThrows(TechnicianRuleViolation);
    expect({ code: v.code, kind: v.kind }).toEqual({ code: 'nothing_to_update', kind: 'invalid' });
  });

  it('refuses an email another active technician holds, but not the technician\'s own current email', () => {
    spec.givenState(registered()).when(update({ email: 'grace@example.com', emailHolder: 'tech_grace' }), LATER).thenThrows(TechnicianRuleViolation, 'technician_email_taken');
    // Unchanged: nothing to check, nothing recorded, whoever the lookup names.
    spec.givenState(registered()).when(update({ email: 'ada@example.com', emailHolder: 'tech_grace' }), LATER).thenNothing();
    expect(decide(update({ email: 'new@example.com', emailHolder: ID }), registered(), LATER)).toHaveLength(1);
  });

  it('refuses any change to a deactivated technician with 409 technician_deactivated, even an unchanged one', () => {
    const gone = run(registered(), deactivate());
    for (const data of [{ name: 'Someone' }, { name: 'Ada Lovelace' }]) {
      const v = spec.givenState(gone).when(update(data), LATER).thenThrows(TechnicianRuleViolation);
      expect({ code: v.code, kind: v.kind }).toEqual({ code: 'technician_deactivated', kind: 'conflict' });
    }
  });

  it('refuses invalid values with 422', () => {
    spec.givenState(registered()).when(update({ name: ' ' }), LATER).thenThrows(TechnicianRuleViolation, 'invalid_name');
    spec.givenState(registered()).when(update({ email: 'nope' }), LATER).thenThrows(TechnicianRuleViolation, 'invalid_email');
  });

  it('answers technician_not_found for a technician that does not exist', () => {
    for (const command of [update({ name: 'x' }), deactivate()]) {
      const v = spec.given().when(command).thenThrows(TechnicianRuleViolation);
      expect({ code: v.code, kind: v.kind }).toEqual({ code: 'technician_not_found', kind: 'not_found' });
    }
  });
});

describe('Technician: deactivate', () => {
  it('records TechnicianDeactivated with the trimmed reason, and folds into a deactivated technician', () => {
    const state = registered();
    spec.givenState(state).when(deactivate('  left the company '), LATER).then([
      { type: 'TechnicianDeactivated', schemaVersion: 1, data: { by: 'key_admin', reason: 'left the company' } },
    ]);
    expect(run(state, deactivate(), LATER)).toMatchObject({ status: 'deactivated', deactivatedAt: LATER.toISOString(), updatedAt: LATER.toISOString(), version: 2 });
  });

  it('leaves an empty reason out of the event', () => {
    spec.givenState(registered()).when(deactivate('   '), LATER).then([{ type: 'TechnicianDeactivated', schemaVersion: 1, data: { by: 'key_admin' } }]);
  });

  it('is idempotent: deactivating a deactivated technician records nothing', () => {
    spec.givenState(run(registered(), deactivate())).when(deactivate('again'), LATER).thenNothing();
  });

  it('refuses a reason over the maximum length', () => {
    spec.givenState(registered()).when(deactivate('x'.repeat(REASON_MAX_LENGTH + 1)), LATER).thenThrows(TechnicianRuleViolation, 'invalid_reason');
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
