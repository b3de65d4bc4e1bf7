import type { DeviceEventEnvelope } from '@keyward/contracts';
import { DEVICE_EVENTS } from '@keyward/contracts';
import { deciderSpec } from '@keyward/testing';
import type { DeviceCommand, RegisterDevice, UpdateDevice } from './device.commands';
import { decide } from './device.decide';
import { DEVICE_OS_VALUES, TAGS_MAX } from './device.rules';
import type { DeviceAggregate, DeviceState } from './device.state';
import { evolve, initialState } from './device.state';
import { DeviceRuleViolation } from './device-rule-violation';

const ID = 'dev_0001';
const ACCOUNT = 'acc_01';
const NOW = new Date('2027-03-01T09:00:00.000Z');
const LATER = new Date('2027-03-02T09:00:00.000Z');

const spec = deciderSpec({ decide, evolve, initialState, events: DEVICE_EVENTS }, { aggregateId: ID, accountId: ACCOUNT, now: NOW, versionOf: (s) => s?.version ?? 0 });
const run = (state: DeviceAggregate, command: DeviceCommand, at: Date = NOW): DeviceAggregate => spec.run(state, command, at);

/** A named owner is, unless a test says otherwise, an active technician the mirror knows in the account. */
const knownOwner = (data: { ownerTechnicianId?: string | null }): { ownerTechnician?: { id: string; active: boolean } } =>
  typeof data.ownerTechnicianId === 'string' ? { ownerTechnician: { id: data.ownerTechnicianId, active: true } } : {};
const register = (data: Partial<RegisterDevice['data']> = {}): DeviceCommand => ({
  type: 'RegisterDevice', data: { name: 'Front desk PC', os: 'windows', hostname: 'desk-01.example.com', by: 'key_admin', ...knownOwner(data), ...data },
});
const update = (data: Partial<UpdateDevice['data']>): DeviceCommand => ({ type: 'UpdateDevice', data: { by: 'key_admin', ...knownOwner(data), ...data } });
const remove: DeviceCommand = { type: 'RemoveDevice', data: { by: 'key_admin' } };

function registered(data: Partial<RegisterDevice['data']> = {}): DeviceState {
  const state = run(initialState(), register(data));
  if (state === null) throw new Error('fixture did not register');
  return state;
}

describe('Device: register', () => {
  it('records DeviceRegistered with normalised values: no tags and no owner by default', () => {
    spec.given().when(register({ name: ' Front desk PC ', os: 'Windows', hostname: 'DESK-01.Example.com.' })).then([{
      type: 'DeviceRegistered', schemaVersion: 1,
      data: { name: 'Front desk PC', os: 'windows', hostname: 'desk-01.example.com', tags: [], ownerTechnicianId: null, by: 'key_admin' },
    }]);
  });

  it('folds into an active device created and updated at the event instant', () => {
    expect(registered({ tags: ['b', 'a'], ownerTechnicianId: 'tech_owner1' })).toEqual({
      id: ID, accountId: ACCOUNT, name: 'Front desk PC', os: 'windows', hostname: 'desk-01.example.com', tags: ['a', 'b'],
      ownerTechnicianId: 'tech_owner1', status: 'active', createdAt: NOW.toISOString(), updatedAt: NOW.toISOString(), removedAt: null, version: 1,
    });
  });

  it('accepts every documented operating system, and nothing else', () => {
    for (const os of DEVICE_OS_VALUES) expect(decide(register({ os }), null, NOW)).toHaveLength(1);
    const v = spec.given().when(register({ os: 'beos' })).thenThrows(DeviceRuleViolation);
    expect({ code: v.code, kind: v.kind, details: v.details }).toEqual({ code: 'unsupported_os', kind: 'invalid', details: { allowed: DEVICE_OS_VALUES } });
  });

  it('takes tags as a set: trimmed, lower-cased, de-duplicated and sorted', () => {
    const [event] = decide(register({ tags: ['prod', ' EU-West ', 'prod', 'site:paris', 'a_b.c'] }), null, NOW);
    expect(event?.data).toMatchObject({ tags: ['a_b.c', 'eu-west', 'prod', 'site:paris'] });
  });

  it(`accepts ${TAGS_MAX} distinct tags, counting duplicates once, and refuses ${TAGS_MAX + 1}`, () => {
    const tags = Array.from({ length: TAGS_MAX }, (_, i) => `t${i}`);
    expect(decide(register({ tags: [...tags, ...tags] }), null, NOW)).toHaveLength(1);
    const v = spec.given().when(register({ tags: [...tags, 'one-more'] })).thenThrows(DeviceRuleViolation);
    expect({ code: v.code, details: v.details }).toEqual({ code: 'too_many_tags', details: { max: TAGS_MAX, given: TAGS_MAX + 1 } });
  });

  it.each([
    ['an empty tag', ''],
    ['a blank tag', '  '],
    ['a tag with a space', 'two words'],
    ['a tag with a slash', 'a/b'],
    ['a tag with an accent', 'café'],
    ['a tag of 41 characters', 'x'.repeat(41)],
  ])('refuses %s with 422 invalid_tag', (_what, tag) => {
    spec.given().when(register({ tags: ['ok', tag] })).thenThrows(DeviceRuleViolation, 'invalid_tag');
  });

  it('accepts a tag of exactly 40 characters', () => {
    expect(decide(register({ tags: ['x'.repeat(40)] }), null, NOW)).toHaveLength(1);
  });

  it.each([
    ['a single label', 'DESKTOP-7', 'desktop-7'],
    ['a leading digit', '1password.example.com', '1password.example.com'],
    ['labels of 63 characters', `${'a'.repeat(63)}.example.com`, `${'a'.repeat(63)}.example.com`],
    ['253 characters', `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`, `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`],
    ['a trailing dot', 'host.example.com.', 'host.example.com'],
  ])('accepts a hostname with %s', (_what, hostname, stored) => {
    expect(decide(register({ hostname }), null, NOW)[0]?.data).toMatchObject({ hostname: stored });
  });

  it.each([
    ['empty', ''],
    ['a leading hyphen', '-host.example.com'],
    ['a trailing hyphen in a label', 'host-.example.com'],
    ['an empty label', 'host..example.com'],
    ['only a dot', '.'],
    ['an underscore', 'my_host'],
    ['a space', 'my host'],
    ['a label of 64 characters', `${'a'.repeat(64)}.example.com`],
    ['254 characters', `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`],
    ['a non-ASCII letter', 'bücher.example'],
  ])('refuses a hostname that is %s with 422 invalid_hostname', (_what, hostname) => {
    spec.given().when(register({ hostname })).thenThrows(DeviceRuleViolation, 'invalid_hostname');
  });

  it('checks the shape of the owner: a technician id or null', () => {
    expect(decide(register({ ownerTechnicianId: 'tech_anyone' }), null, NOW)[0]?.data).toMatchObject({ ownerTechnicianId: 'tech_anyone' });
    expect(decide(register({ ownerTechnicianId: 'tech_anyone' }), null, NOW)[0]?.data).not.toHaveProperty('ownerTechnician');
    expect(decide(register({ ownerTechnicianId: null }), null, NOW)[0]?.data).toMatchObject({ ownerTechnicianId: null });
    for (const bad of ['dev_abcdef', 'tech_', 'tech_a-b', 'TECH_abcdef', '']) {
      spec.given().when(register({ ownerTechnicianId: bad })).thenThrows(DeviceRuleViolation, 'invalid_owner_technician_id');
    }
  });

  it('refuses a blank name and an id that already exists', () => {
    spec.given().when(register({ name: '  ' })).thenThrows(DeviceRuleViolation, 'invalid_name');
    spec.givenState(registered()).when(register()).thenThrows(DeviceRuleViolation, 'device_exists');
  });
});

describe('Device: update', () => {
  it('records only the fields that changed, after normalising', () => {
    const state = registered({ tags: ['prod'], ownerTechnicianId: 'tech_owner1' });
    spec.givenState(state).when(update({ name: 'Front desk PC', os: 'LINUX', hostname: 'desk-01.example.com', tags: ['PROD', 'prod'] }), LATER).then([
      { type: 'DeviceUpdated', schemaVersion: 1, data: { os: 'linux', by: 'key_admin' } },
    ]);
    spec.givenState(state).when(update({ tags: ['b', 'a'], ownerTechnicianId: null }), LATER).then([
      { type: 'DeviceUpdated', schemaVersion: 1, data: { tags: ['a', 'b'], ownerTechnicianId: null, by: 'key_admin' } },
    ]);
  });

  it('folds every field of an update and moves updatedAt only', () => {
    const next = run(registered(), update({ name: 'Kiosk', os: 'chromeos', hostname: 'kiosk', tags: ['lobby'], ownerTechnicianId: 'tech_someone' }), LATER);
    expect(next).toEqual({
      id: ID, accountId: ACCOUNT, name: 'Kiosk', os: 'chromeos', hostname: 'kiosk', tags: ['lobby'], ownerTechnicianId: 'tech_someone',
      status: 'active', createdAt: NOW.toISOString(), updatedAt: LATER.toISOString(), removedAt: null, version: 2,
    });
  });

  it('records nothing when every given value is the current one, tags compared as a set', () => {
    const state = registered({ tags: ['a', 'b'], ownerTechnicianId: null });
    spec.givenState(state).when(update({ tags: ['b', 'A'], ownerTechnicianId: null, hostname: 'DESK-01.example.com.' }), LATER).thenNothing();
  });

  it('refuses an update without any field with 422 nothing_to_update', () => {
    const v = spec.givenState(registered()).when(update({}), LATER).thenThrows(DeviceRuleViolation);
    expect({ code: v.code, kind: v.kind }).toEqual({ code: 'nothing_to_update', kind: 'invalid' });
  });

  it('refuses any change to a removed device with 409 device_removed', () => {
    const removed = run(registered(), remove);
    const v = spec.givenState(removed).when(update({ name: 'Back' }), LATER).thenThrows(DeviceRuleViolation);
    expect({ code: v.code, kind: v.kind }).toEqual({ code: 'device_removed', kind: 'conflict' });
  });

  it('refuses invalid values with their 422 codes', () => {
    const state = registered();
    spec.givenState(state).when(update({ os: 'amiga' }), LATER).thenThrows(DeviceRuleViolation, 'unsupported_os');
    spec.givenState(state).when(update({ hostname: 'a..b' }), LATER).thenThrows(DeviceRuleViolation, 'invalid_hostname');
    spec.givenState(state).when(update({ tags: ['ok', 'not ok'] }), LATER).thenThrows(DeviceRuleViolation, 'invalid_tag');
    spec.givenState(state).when(update({ ownerTechnicianId: 'dev_1234' }), LATER).thenThrows(DeviceRuleViolation, 'invalid_owner_technician_id');
  });

  it.each([
    ['unknown to the mirror (or another account\'s)', null, 'unknown_technician'],
    ['someone else than the mirror answered for', { id: 'tech_other1', active: true }, 'unknown_technician'],
    ['deactivated', { id: 'tech_owner9', active: false }, 'technician_deactivated'],
  ])('refuses a new owner who is %s', (_what, ownerTechnician, code) => {
    spec.given().when(register({ ownerTechnicianId: 'tech_owner9', ownerTechnician })).thenThrows(DeviceRuleViolation, code);
    spec.givenState(registered()).when(update({ ownerTechnicianId: 'tech_owner9', ownerTechnician }), LATER).thenThrows(DeviceRuleViolation, code);
  });

  it('does not check an owner the device already has (deactivated since, it stays)', () => {
    const state = registered({ ownerTechnicianId: 'tech_owner9' });
    expect(decide(update({ ownerTechnicianId: 'tech_owner9', ownerTechnician: { id: 'tech_owner9', active: false }, name: 'Renamed' }), state, LATER))
      .toEqual([{ type: 'DeviceUpdated', schemaVersion: 1, data: { name: 'Renamed', by: 'key_admin' } }]);
  });

  it('answers device_not_found for a device that does not exist', () => {
    for (const command of [update({ name: 'x' }), remove]) {
      const v = spec.given().when(command).thenThrows(DeviceRuleViolation);
      expect({ code: v.code, kind: v.kind }).toEqual({ code: 'device_not_found', kind: 'not_found' });
    }
  });
});

describe('Device: remove', () => {
  it('records DeviceRemoved and folds into a removed device', () => {
    const state = registered();
    spec.givenState(state).when(remove, LATER).then([{ type: 'DeviceRemoved', schemaVersion: 1, data: { by: 'key_admin' } }]);
    expect(run(state, remove, LATER)).toMatchObject({ status: 'removed', removedAt: LATER.toISOString(), updatedAt: LATER.toISOString(), version: 2 });
  });

  it('is idempotent: removing a removed device records nothing', () => {
    spec.givenState(run(registered(), remove)).when(remove, LATER).thenNothing();
  });
});

describe('Device: evolve', () => {
  it('throws on a corrupt stream: a change before registration, or a second registration', () => {
    const envelope = (type: DeviceEventEnvelope['type'], version: number, data: object): DeviceEventEnvelope =>
      ({ id: `e${version}`, type, schemaVersion: 1, aggregateId: ID, accountId: ACCOUNT, version, occurredAt: NOW.toISOString(), data }) as DeviceEventEnvelope;
    expect(() => evolve(null, envelope('DeviceRemoved', 1, { by: 'k' }))).toThrow(/never registered/);
    expect(() => evolve(registered(), envelope('DeviceRegistered', 2, { name: 'x', os: 'linux', hostname: 'x', tags: [], ownerTechnicianId: null, by: 'k' }))).toThrow(/already exists/);
  });
});
