import { addOneYear, ALL_PERMISSIONS, displayPrefix, generateToken, hashToken, KEY_EVENTS } from '@keyward/contracts';
import { deciderSpec, thrownBy } from '@keyward/testing';
import type { KeyKind } from '@keyward/contracts';
import type { ApiKeyCommand, CreateKey } from './api-key.commands';
import { decide } from './api-key.decide';
import type { ApiKeyAggregate, ApiKeyState } from './api-key.state';
import { evolve, initialState } from './api-key.state';
import { KEY_RULE_CODES, KeyRuleViolation } from './key-rule-violation';

const KEY_ID = 'key_01';
const ACCOUNT_ID = 'acc_01';
const NOW = new Date('2027-06-15T10:00:00.000Z');
const HASH_1 = hashToken('first');
const HASH_2 = hashToken('second');
const HASH_3 = hashToken('third');
const SECONDS = 1000;
const DAY = 24 * 60 * 60 * SECONDS;

function at(base: Date, offsetMs: number): Date {
  return new Date(base.getTime() + offsetMs);
}

function createKey(overrides: Partial<CreateKey['data']> = {}): CreateKey {
  const kind: KeyKind = overrides.kind ?? 'private';
  return {
    type: 'CreateKey',
    data: {
      keyId: KEY_ID,
      accountId: ACCOUNT_ID,
      kind,
      name: 'Billing server',
      permissions: ['devices:read'],
      allowedIps: [],
      by: 'bootstrap',
      callerPermissions: ALL_PERMISSIONS,
      secretHash: HASH_1,
      tokenPrefix: kind === 'public' ? 'kw_pk_abc123' : 'kw_sk_abc123',
      ...overrides,
    },
  };
}

const spec = deciderSpec({ decide, evolve, initialState, events: KEY_EVENTS }, { aggregateId: KEY_ID, accountId: ACCOUNT_ID, now: NOW, versionOf: (s) => s?.version ?? 0 });
const run = (state: ApiKeyAggregate, command: ApiKeyCommand, now: Date = NOW): ApiKeyAggregate => spec.run(state, command, now);

/** A key created at `NOW` (or `createdAt`), then taken through further commands. */
function given(
  commands: readonly (ApiKeyCommand | readonly [ApiKeyCommand, Date])[] = [],
  create: CreateKey = createKey(),
  createdAt: Date = NOW,
): ApiKeyState {
  let state = run(null, create, createdAt);
  for (const entry of commands) {
    const [command, now] = Array.isArray(entry) ? (entry as readonly [ApiKeyCommand, Date]) : [entry as ApiKeyCommand, NOW];
    state = run(state, command, now);
  }
  if (state === null) throw new Error('fixture did not create the key');
  return state;
}

/** The calling key: here one holding the whole catalog (escalation has its own specs). */
const ADMIN = { by: 'key_admin', callerPermissions: ALL_PERMISSIONS } as const;

const disable: ApiKeyCommand = { type: 'DisableKey', data: { ...ADMIN } };
const revoke: ApiKeyCommand = { type: 'RevokeKey', data: { ...ADMIN } };
const expire: ApiKeyCommand = { type: 'ExpireKey', data: {} };
const enable = (expiresAt?: string): ApiKeyCommand => ({
  type: 'EnableKey',
  data: expiresAt === undefined ? { ...ADMIN } : { ...ADMIN, expiresAt },
});
const changeExpiry = (expiresAt: string): ApiKeyCommand => ({ type: 'ChangeExpiry', data: { ...ADMIN, expiresAt } });
const changePermissions = (permissions: readonly string[]): ApiKeyCommand => ({
  type: 'ChangePermissions',
  data: { ...ADMIN, permissions },
});
const changeAllowedIps = (allowedIps: readonly string[]): ApiKeyCommand => ({
  type: 'ChangeAllowedIps',
  data: { ...ADMIN, allowedIps },
});
const rotate = (gracePeriodSeconds: number, secretHash = HASH_2, tokenPrefix = 'kw_sk_def456'): ApiKeyCommand => ({
  type: 'RotateKey',
  data: { ...ADMIN, secretHash, tokenPrefix, gracePeriodSeconds },
});

/** A key created at NOW with a short expiry, observed after that expiry. */
const SHORT_EXPIRY = at(NOW, DAY).toISOString();
const AFTER_EXPIRY = at(NOW, 2 * DAY);
function expiredKey(): ApiKeyState {
  return given([[expire, AFTER_EXPIRY]], createKey({ expiresAt: SHORT_EXPIRY }));
}

describe('KeyRuleViolation', () => {
  it('derives its kind from its code', () => {
    const error = new KeyRuleViolation('key_revoked', 'revoked');
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'KeyRuleViolation', code: 'key_revoked', kind: 'conflict', message: 'revoked' });
  });

  it('classifies state conflicts, invalid values and a missing key', () => {
    expect(KEY_RULE_CODES).toMatchObject({
      key_exists: 'conflict',
      key_revoked: 'conflict',
      key_expired: 'conflict',
      key_already_active: 'conflict',
      key_not_found: 'not_found',
      expiry_required: 'invalid',
      grace_period_out_of_range: 'invalid',
    });
  });
});

describe('CreateKey', () => {
  it('emits KeyCreated with the normalised values and a one-year default expiry', () => {
    const events = decide(
      createKey({
        name: '  Billing server  ',
        permissions: ['technicians:read', 'devices:write', 'devices:read', 'technicians:read'],
        allowedIps: ['10.1.2.3/8', '2001:DB8:0:0::1', '192.0.2.7', '10.0.0.0/8'],
      }),
      null,
      NOW,
    );
    expect(events).toEqual([
      {
        type: 'KeyCreated',
        schemaVersion: 2,
        data: {
          kind: 'private',
          name: 'Billing server',
          permissions: ['devices:read', 'devices:write', 'technicians:read'],
          allowedIps: ['10.0.0.0/8', '2001:db8::1', '192.0.2.7'],
          allowedOrigins: [],
          rateLimit: null,
          expiresAt: '2028-06-15T10:00:00.000Z',
          createdBy: 'bootstrap',
          secretHash: HASH_1,
          tokenPrefix: 'kw_sk_abc123',
        },
      },
    ]);
  });

  it('folds into an active key with its id, account, creator and version 1', () => {
    expect(given()).toEqual({
      id: KEY_ID,
      accountId: ACCOUNT_ID,
      kind: 'private',
      name: 'Billing server',
      permissions: ['devices:read'],
      allowedIps: [],
      allowedOrigins: [],
      rateLimit: null,
      expiresAt: '2028-06-15T10:00:00.000Z',
      status: 'active',
      createdAt: NOW.toISOString(),
      createdBy: 'bootstrap',
      secretHash: HASH_1,
      tokenPrefix: 'kw_sk_abc123',
      version: 1,
    });
  });

  it('refuses a key id that already exists', () => {
    expect(spec.givenState(given()).when(createKey()).thenThrows(KeyRuleViolation)).toMatchObject({ code: 'key_exists', kind: 'conflict' });
  });

  it('refuses a kind other than public or private', () => {
    const command = createKey({ kind: 'admin' as KeyKind, tokenPrefix: 'kw_sk_abc123' });
    expect(spec.given().when(command).thenThrows(KeyRuleViolation)).toMatchObject({ code: 'invalid_kind', kind: 'invalid' });
  });

  describe('name', () => {
    it.each([
      ['empty', ''],
      ['only spaces', '   '],
      ['101 characters', 'n'.repeat(101)],
    ])('refuses a name that is %s', (_label, name) => {
      expect(spec.given().when(createKey({ name })).thenThrows(KeyRuleViolation)).toMatchObject({ code: 'invalid_name', kind: 'invalid' });
    });

    it('accepts 100 characters after trimming, counting an emoji as one', () => {
      const name = `${'n'.repeat(99)}🔑`;
      const [event] = decide(createKey({ name: ` ${name} ` }), null, NOW);
      expect(event?.type === 'KeyCreated' && event.data.name).toBe(name);
    });
  });

  describe('permissions', () => {
    it('requires at least one permission', () => {
      expect(spec.given().when(createKey({ permissions: [] })).thenThrows(KeyRuleViolation)).toMatchObject({
        code: 'permissions_required',
        kind: 'invalid',
      });
    });

    it('refuses a permission outside the catalog and names it', () => {
      const error = spec.given().when(createKey({ permissions: ['devices:read', 'devices:delete'] })).thenThrows(KeyRuleViolation);
      expect(error).toMatchObject({ code: 'unknown_permission', kind: 'invalid' });
      expect(error.message).toContain('devices:delete');
    });

    it('refuses a public key any permission that is not public-safe, naming each', () => {
      const command = createKey({ kind: 'public', permissions: ['sessions:create', 'keys:manage', 'devices:read'] });
      const error = spec.given().when(command).thenThrows(KeyRuleViolation);
      expect(error).toMatchObject({ code: 'permission_not_public_safe', kind: 'invalid' });
      expect(error.message).toContain('keys:manage');
      expect(error.message).toContain('devices:read');
      expect(error.details).toEqual({ permissions: ['devices:read', 'keys:manage'] });
    });

    it('lets a public key hold the public-safe permissions', () => {
      const state = given([], createKey({ kind: 'public', permissions: ['tickets:create', 'sessions:create'] }));
      expect(state.permissions).toEqual(['sessions:create', 'tickets:create']);
    });

    it('lets a private key hold any permission of the catalog', () => {
      const state = given([], createKey({ permissions: ['keys:manage', 'sessions:create', 'devices:write'] }));
      expect(state.permissions).toEqual(['devices:write', 'keys:manage', 'sessions:create']);
    });
  });

  describe('allowed IPs', () => {
    it('accepts an empty list, meaning any address', () => {
      expect(given([], createKey({ allowedIps: [] })).allowedIps).toEqual([]);
    });

    it('accepts 100 entries and refuses 101', () => {
      const ips = Array.from({ length: 101 }, (_, i) => `10.0.${Math.floor(i / 250)}.${i % 250}`);
      expect(given([], createKey({ allowedIps: ips.slice(0, 100) })).allowedIps).toHaveLength(100);
      expect(spec.given().when(createKey({ allowedIps: ips })).thenThrows(KeyRuleViolation)).toMatchObject({
        code: 'too_many_allowed_ips',
        kind: 'invalid',
      });
    });

    it.each(['10.0.0.256', '10.0.0.0/33', 'localhost', '', '2001:db8::1::2'])('refuses %j and names it', (entry) => {
      const error = spec.given().when(createKey({ allowedIps: ['192.0.2.1', entry] })).thenThrows(KeyRuleViolation);
      expect(error).toMatchObject({ code: 'invalid_ip', kind: 'invalid' });
      expect(error.message).toContain(JSON.stringify(entry));
    });

    it('stores each entry in canonical form once, ignoring surrounding spaces', () => {
      const state = given([], createKey({ allowedIps: [' 2001:DB8::1 ', '2001:db8:0::1', '::ffff:192.0.2.1', '192.0.2.1'] }));
      expect(state.allowedIps).toEqual(['2001:db8::1', '192.0.2.1']);
    });
  });

  describe('expiry', () => {
    it('stores a given expiry as ISO-8601 UTC', () => {
      const state = given([], createKey({ expiresAt: '2027-12-01T12:00:00+02:00' }));
      expect(state.expiresAt).toBe('2027-12-01T10:00:00.000Z');
    });

    it('accepts an expiry exactly one year ahead and refuses one a millisecond later', () => {
      const max = addOneYear(NOW);
      expect(given([], createKey({ expiresAt: max.toISOString() })).expiresAt).toBe(max.toISOString());
      const error = spec.given().when(createKey({ expiresAt: at(max, 1).toISOString() })).thenThrows(KeyRuleViolation);
      expect(error).toMatchObject({ code: 'expiry_too_far', kind: 'invalid', details: { latest: max.toISOString() } });
      expect(error.message).toContain(max.toISOString());
    });

    it.each([
      ['now itself', NOW.toISOString()],
      ['a millisecond ago', at(NOW, -1).toISOString()],
      ['last year', '2026-06-15T10:00:00Z'],
    ])('refuses an expiry that is %s', (_label, expiresAt) => {
      expect(spec.given().when(createKey({ expiresAt })).thenThrows(KeyRuleViolation)).toMatchObject({
        code: 'expiry_in_past',
        kind: 'invalid',
      });
    });

    it('accepts an expiry a millisecond from now', () => {
      expect(given([], createKey({ expiresAt: at(NOW, 1).toISOString() })).expiresAt).toBe('2027-06-15T10:00:00.001Z');
    });

    it.each(['tomorrow', '2027-12-01', '2027-12-01T10:00:00', '2027-02-30T10:00:00Z', '2027-12-01T24:00:00Z', 'March 7, 2028'])(
      'refuses %j, which is not an ISO-8601 instant with a zone',
      (expiresAt) => {
        expect(spec.given().when(createKey({ expiresAt })).thenThrows(KeyRuleViolation)).toMatchObject({
          code: 'invalid_expiry',
          kind: 'invalid',
        });
      },
    );

    it('on 29 February defaults to 28 February next year and refuses 1 March', () => {
      const leapDay = new Date('2028-02-29T12:00:00Z');
      expect(given([], createKey(), leapDay).expiresAt).toBe('2029-02-28T12:00:00.000Z');
      expect(thrownBy(KeyRuleViolation, () => decide(createKey({ expiresAt: '2029-03-01T00:00:00Z' }), null, leapDay))).toMatchObject({
        code: 'expiry_too_far',
      });
      expect(thrownBy(KeyRuleViolation, () => decide(createKey({ expiresAt: '2029-02-28T12:00:00.001Z' }), null, leapDay))).toMatchObject({
        code: 'expiry_too_far',
      });
    });
  });

  it('refuses a raw token where the secret hash belongs, as a programming error', () => {
    const token = generateToken('private');
    expect(() => decide(createKey({ secretHash: token }), null, NOW)).toThrow(/secretHash/);
    expect(() => decide(createKey({ secretHash: token }), null, NOW)).not.toThrow(KeyRuleViolation);
    expect(() => decide(createKey({ tokenPrefix: token }), null, NOW)).toThrow(/tokenPrefix/);
    expect(() => decide(createKey({ tokenPrefix: displayPrefix(generateToken('public')) }), null, NOW)).toThrow(
      /tokenPrefix/,
    );
    expect(decide(createKey({ secretHash: hashToken(token), tokenPrefix: displayPrefix(token) }), null, NOW)).toHaveLength(1);
  });
});

describe('every command but CreateKey', () => {
  it.each<ApiKeyCommand>([
    disable,
    enable(),
    changeExpiry('2027-12-01T00:00:00Z'),
    changePermissions(['devices:read']),
    changeAllowedIps([]),
    rotate(0),
    revoke,
    expire,
  ])('answers key_not_found for a key that does not exist ($type)', (command) => {
    expect(spec.given().when(command).thenThrows(KeyRuleViolation)).toMatchObject({ code: 'key_not_found', kind: 'not_found' });
  });

  it.each<ApiKeyCommand>([
    disable,
    enable(),
    enable('2027-12-01T00:00:00Z'),
    changeExpiry('2027-12-01T00:00:00Z'),
    changePermissions(['devices:write']),
    changeAllowedIps(['192.0.2.1']),
    rotate(0),
  ])('refuses $type on a revoked key with key_revoked', (command) => {
    expect(spec.givenState(given([revoke])).when(command).thenThrows(KeyRuleViolation)).toMatchObject({ code: 'key_revoked', kind: 'conflict' });
  });
});

describe('DisableKey', () => {
  it('disables an active key, keeping a trimmed reason', () => {
    const events = decide({ type: 'DisableKey', data: { ...ADMIN, reason: ' leaked in a log ' } }, given(), NOW);
    expect(events).toEqual([
      { type: 'KeyDisabled', schemaVersion: 1, data: { by: 'key_admin', reason: 'leaked in a log' } },
    ]);
    expect(spec.fold(given(), events, NOW)?.status).toBe('disabled');
  });

  it('leaves out a blank reason', () => {
    const events = decide({ type: 'DisableKey', data: { ...ADMIN, reason: '  ' } }, given(), NOW);
    expect(events).toEqual([{ type: 'KeyDisabled', schemaVersion: 1, data: { by: 'key_admin' } }]);
  });

  it('refuses a reason over 500 characters', () => {
    const command: ApiKeyCommand = { type: 'DisableKey', data: { ...ADMIN, reason: 'r'.repeat(501) } };
    expect(spec.givenState(given()).when(command).thenThrows(KeyRuleViolation)).toMatchObject({ code: 'invalid_reason', kind: 'invalid' });
  });

  it('does nothing for a key that is already disabled', () => {
    spec.givenState(given([disable])).when(disable).thenNothing();
  });

  it('disables an expired key', () => {
    const state = expiredKey();
    expect(state.status).toBe('expired');
    spec.givenState(state).when(disable, AFTER_EXPIRY).then([{ type: 'KeyDisabled', schemaVersion: 1, data: { by: 'key_admin' } }]);
  });
});

describe('EnableKey', () => {
  it('refuses to enable an active key with 409 key_already_active, with or without an expiry', () => {
    expect(spec.givenState(given()).when(enable()).thenThrows(KeyRuleViolation)).toMatchObject({ code: 'key_already_active', kind: 'conflict' });
    expect(spec.givenState(given([disable, enable()])).when(enable()).thenThrows(KeyRuleViolation)).toMatchObject({ code: 'key_already_active' });
  });

  it('refuses a new expiry for an active key, pointing to change expiry', () => {
    const error = spec.givenState(given()).when(enable('2027-12-01T00:00:00Z')).thenThrows(KeyRuleViolation);
    expect(error).toMatchObject({ code: 'key_already_active', kind: 'conflict' });
    expect(error.message).toMatch(/change expiry/);
  });

  it('re-enables a disabled key with its still-valid expiry', () => {
    const state = given([disable]);
    const later = at(NOW, DAY);
    const events = decide(enable(), state, later);
    expect(events).toEqual([
      { type: 'KeyEnabled', schemaVersion: 1, data: { by: 'key_admin', expiresAt: state.expiresAt } },
    ]);
    expect(spec.fold(state, events, later)).toMatchObject({ status: 'active', expiresAt: state.expiresAt });
  });

  it('re-enables a disabled key with a new expiry', () => {
    const state = run(given([disable]), enable('2027-09-01T00:00:00Z'));
    expect(state).toMatchObject({ status: 'active', expiresAt: '2027-09-01T00:00:00.000Z' });
  });

  it('re-enables an expired key with a new expiry', () => {
    const next = at(AFTER_EXPIRY, 30 * DAY).toISOString();
    const state = run(expiredKey(), enable(next), AFTER_EXPIRY);
    expect(state).toMatchObject({ status: 'active', expiresAt: next });
  });

  it('requires a new expiry to re-enable an expired key', () => {
    const error = thrownBy(KeyRuleViolation, () => decide(enable(), expiredKey(), AFTER_EXPIRY));
    expect(error).toMatchObject({ code: 'expiry_required', kind: 'invalid' });
    expect(error.message).toBe("the key's expiry has passed; give a new expiresAt");
  });

  it('requires a new expiry for a disabled key whose expiry has passed', () => {
    const state = given([disable], createKey({ expiresAt: SHORT_EXPIRY }));
    expect(spec.givenState(state).when(enable(), AFTER_EXPIRY).thenThrows(KeyRuleViolation)).toMatchObject({ code: 'expiry_required' });
  });

  it('treats an active key past its expiry as expired even before KeyExpired is recorded', () => {
    const state = given([], createKey({ expiresAt: SHORT_EXPIRY }));
    expect(state.status).toBe('active');
    expect(spec.givenState(state).when(enable(), AFTER_EXPIRY).thenThrows(KeyRuleViolation)).toMatchObject({ code: 'expiry_required' });
    const next = at(AFTER_EXPIRY, DAY).toISOString();
    spec.givenState(state).when(enable(next), AFTER_EXPIRY).then([
      { type: 'KeyEnabled', schemaVersion: 1, data: { by: 'key_admin', expiresAt: next } },
    ]);
  });

  it('re-enables an expired key whose expiry was already moved into the future', () => {
    const moved = at(AFTER_EXPIRY, 10 * DAY).toISOString();
    const state = run(expiredKey(), changeExpiry(moved), AFTER_EXPIRY);
    expect(state).toMatchObject({ status: 'expired', expiresAt: moved });
    expect(run(state, enable(), AFTER_EXPIRY)).toMatchObject({ status: 'active', expiresAt: moved });
  });

  it('applies the create rules to a given expiry', () => {
    const state = given([disable]);
    expect(spec.givenState(state).when(enable(at(NOW, -1).toISOString())).thenThrows(KeyRuleViolation)).toMatchObject({ code: 'expiry_in_past' });
    expect(spec.givenState(state).when(enable(at(addOneYear(NOW), 1).toISOString())).thenThrows(KeyRuleViolation)).toMatchObject({
      code: 'expiry_too_far',
    });
    expect(spec.givenState(state).when(enable('soon')).thenThrows(KeyRuleViolation)).toMatchObject({ code: 'invalid_expiry' });
    expect(run(state, enable(addOneYear(NOW).toISOString()))?.expiresAt).toBe(addOneYear(NOW).toISOString());
  });
});

describe('ChangeExpiry', () => {
  it('emits KeyExpiryChanged with the instant in UTC', () => {
    spec.givenState(given()).when(changeExpiry('2027-09-01T02:00:00+02:00')).then([
      { type: 'KeyExpiryChanged', schemaVersion: 1, data: { by: 'key_admin', expiresAt: '2027-09-01T00:00:00.000Z' } },
    ]);
  });

  it('does nothing when the expiry is the same instant, however written', () => {
    const state = given([changeExpiry('2027-09-01T00:00:00Z')]);
    spec.givenState(state).when(changeExpiry('2027-09-01T02:00:00.000+02:00')).thenNothing();
  });

  it('refuses an expiry in the past or more than one year from the change', () => {
    const later = at(NOW, 100 * DAY);
    const state = given();
    expect(thrownBy(KeyRuleViolation, () => decide(changeExpiry(at(later, -1).toISOString()), state, later))).toMatchObject({
      code: 'expiry_in_past',
    });
    expect(thrownBy(KeyRuleViolation, () => decide(changeExpiry(at(addOneYear(later), 1).toISOString()), state, later))).toMatchObject({
      code: 'expiry_too_far',
    });
    expect(run(state, changeExpiry(addOneYear(later).toISOString()), later)?.expiresAt).toBe(
      addOneYear(later).toISOString(),
    );
  });

  it('on 28 February 2027 allows up to 28 February 2028, not the 29th', () => {
    const changedAt = new Date('2027-02-28T09:30:00Z');
    const state = given([], createKey(), new Date('2027-01-10T00:00:00Z'));
    expect(run(state, changeExpiry('2028-02-28T09:30:00Z'), changedAt)?.expiresAt).toBe('2028-02-28T09:30:00.000Z');
    const error = thrownBy(KeyRuleViolation, () => decide(changeExpiry('2028-02-29T00:00:00Z'), state, changedAt));
    expect(error).toMatchObject({ code: 'expiry_too_far', details: { latest: '2028-02-28T09:30:00.000Z' } });
  });

  it('keeps an expired key expired: only EnableKey brings it back', () => {
    const next = at(AFTER_EXPIRY, 10 * DAY).toISOString();
    const state = run(expiredKey(), changeExpiry(next), AFTER_EXPIRY);
    expect(state).toMatchObject({ status: 'expired', expiresAt: next });
  });

  it('records a passed but unrecorded expiry first, so the key does not come back to life', () => {
    const state = given([], createKey({ expiresAt: SHORT_EXPIRY }));
    const next = at(AFTER_EXPIRY, 10 * DAY).toISOString();
    spec.givenState(state).when(changeExpiry(next), AFTER_EXPIRY).then([
      { type: 'KeyExpired', schemaVersion: 1, data: { expiredAt: SHORT_EXPIRY } },
      { type: 'KeyExpiryChanged', schemaVersion: 1, data: { by: 'key_admin', expiresAt: next } },
    ]);
    expect(run(state, changeExpiry(next), AFTER_EXPIRY)).toMatchObject({ status: 'expired', expiresAt: next });
  });

  it('records a passed expiry of a disabled key the same way the scheduler would', () => {
    const state = given([disable], createKey({ expiresAt: SHORT_EXPIRY }));
    const next = at(AFTER_EXPIRY, 10 * DAY).toISOString();
    expect(decide(changeExpiry(next), state, AFTER_EXPIRY).map((e) => e.type)).toEqual(['KeyExpired', 'KeyExpiryChanged']);
  });

  it('keeps a disabled key disabled', () => {
    expect(run(given([disable]), changeExpiry('2027-09-01T00:00:00Z'))?.status).toBe('disabled');
  });
});

describe('ChangePermissions', () => {
  it('emits the new set, sorted and without duplicates', () => {
    spec.givenState(given()).when(changePermissions(['keys:read', 'devices:write', 'keys:read'])).then([
      {
        type: 'KeyPermissionsChanged',
        schemaVersion: 1,
        data: { by: 'key_admin', permissions: ['devices:write', 'keys:read'] },
      },
    ]);
  });

  it('does nothing for the same set in another order or with repeats', () => {
    const state = given([changePermissions(['devices:read', 'devices:write'])]);
    spec.givenState(state).when(changePermissions(['devices:write', 'devices:read', 'devices:write'])).thenNothing();
  });

  it('applies the create rules', () => {
    const state = given();
    expect(spec.givenState(state).when(changePermissions([])).thenThrows(KeyRuleViolation)).toMatchObject({ code: 'permissions_required' });
    expect(spec.givenState(state).when(changePermissions(['devices:erase'])).thenThrows(KeyRuleViolation)).toMatchObject({
      code: 'unknown_permission',
    });
  });

  it('keeps a public key to public-safe permissions', () => {
    const state = given([], createKey({ kind: 'public', permissions: ['sessions:create'] }));
    const error = spec.givenState(state).when(changePermissions(['sessions:create', 'sessions:history:read'])).thenThrows(KeyRuleViolation);
    expect(error).toMatchObject({ code: 'permission_not_public_safe' });
    expect(error.message).toContain('sessions:history:read');
    expect(run(state, changePermissions(['tickets:create', 'sessions:create']))?.permissions).toEqual([
      'sessions:create',
      'tickets:create',
    ]);
  });
});

describe('ChangeAllowedIps', () => {
  it('emits the canonical entries', () => {
    spec.givenState(given()).when(changeAllowedIps(['192.0.2.9/24', '2001:DB8::/32'])).then([
      {
        type: 'KeyAllowedIpsChanged',
        schemaVersion: 1,
        data: { by: 'key_admin', allowedIps: ['192.0.2.0/24', '2001:db8::/32'] },
      },
    ]);
  });

  it('accepts an empty list, allowing any address again', () => {
    const state = given([], createKey({ allowedIps: ['192.0.2.1'] }));
    expect(run(state, changeAllowedIps([]))?.allowedIps).toEqual([]);
  });

  it('does nothing for the same set of addresses', () => {
    const state = given([], createKey({ allowedIps: ['192.0.2.1', '10.0.0.0/8'] }));
    spec.givenState(state).when(changeAllowedIps(['10.9.9.9/8', '192.0.2.1', '192.0.2.1'])).thenNothing();
  });

  it('applies the create rules', () => {
    const state = given();
    const error = spec.givenState(state).when(changeAllowedIps(['192.0.2.1', 'not-an-ip'])).thenThrows(KeyRuleViolation);
    expect(error).toMatchObject({ code: 'invalid_ip', details: { entry: 'not-an-ip' } });
    expect(error.message).toContain('"not-an-ip"');
    const many = Array.from({ length: 101 }, (_, i) => `192.0.2.${i}`);
    expect(spec.givenState(state).when(changeAllowedIps(many)).thenThrows(KeyRuleViolation)).toMatchObject({ code: 'too_many_allowed_ips' });
  });
});

describe('RotateKey', () => {
  it('emits the new hash and prefix, keeping the old hash until the grace period ends', () => {
    spec.givenState(given()).when(rotate(3600)).then([
      {
        type: 'KeyRotated',
        schemaVersion: 1,
        data: {
          by: 'key_admin',
          secretHash: HASH_2,
          tokenPrefix: 'kw_sk_def456',
          previousSecretHash: HASH_1,
          graceUntil: '2027-06-15T11:00:00.000Z',
        },
      },
    ]);
  });

  it('keeps every other setting and records when it rotated', () => {
    const before = given([], createKey({ allowedIps: ['192.0.2.1'] }));
    const later = at(NOW, 5 * DAY);
    const after = run(before, rotate(60), later);
    expect(after).toEqual({
      ...before,
      secretHash: HASH_2,
      tokenPrefix: 'kw_sk_def456',
      previousSecretHash: HASH_1,
      graceUntil: at(later, 60 * SECONDS).toISOString(),
      lastRotatedAt: later.toISOString(),
      version: 2,
    });
  });

  it('with no grace period ends the old secret at the rotation instant', () => {
    const [event] = decide(rotate(0), given(), NOW);
    expect(event?.type === 'KeyRotated' && event.data.graceUntil).toBe(NOW.toISOString());
  });

  it('accepts a grace period of exactly 7 days', () => {
    const [event] = decide(rotate(7 * 24 * 3600), given(), NOW);
    expect(event?.type === 'KeyRotated' && event.data.graceUntil).toBe(at(NOW, 7 * DAY).toISOString());
  });

  it.each([
    ['7 days and 1 second', 7 * 24 * 3600 + 1],
    ['negative', -1],
    ['fractional', 1.5],
    ['not a number', Number.NaN],
    ['infinite', Number.POSITIVE_INFINITY],
  ])('refuses a grace period that is %s', (_label, seconds) => {
    expect(spec.givenState(given()).when(rotate(seconds)).thenThrows(KeyRuleViolation)).toMatchObject({
      code: 'grace_period_out_of_range',
      kind: 'invalid',
    });
  });

  it('keeps only the newest previous secret when rotated twice', () => {
    const state = given([rotate(3600), rotate(3600, HASH_3, 'kw_sk_ghi789')]);
    expect(state).toMatchObject({ secretHash: HASH_3, tokenPrefix: 'kw_sk_ghi789', previousSecretHash: HASH_2 });
  });

  it('refuses an expired key', () => {
    expect(thrownBy(KeyRuleViolation, () => decide(rotate(0), expiredKey(), AFTER_EXPIRY))).toMatchObject({
      code: 'key_expired',
      kind: 'conflict',
    });
  });

  it('refuses a key past its expiry even before KeyExpired is recorded', () => {
    const state = given([], createKey({ expiresAt: SHORT_EXPIRY }));
    expect(spec.givenState(state).when(rotate(0), at(NOW, DAY)).thenThrows(KeyRuleViolation)).toMatchObject({ code: 'key_expired' });
  });

  it('rotates a disabled key, which stays disabled', () => {
    expect(run(given([disable]), rotate(0))).toMatchObject({ status: 'disabled', secretHash: HASH_2 });
  });

  it('refuses a prefix of the other kind or a raw token, as a programming error', () => {
    expect(() => decide(rotate(0, HASH_2, 'kw_pk_def456'), given(), NOW)).toThrow(/tokenPrefix/);
    expect(() => decide(rotate(0, generateToken('private')), given(), NOW)).toThrow(/secretHash/);
  });
});

describe('RevokeKey', () => {
  it.each([
    ['an active key', (): ApiKeyState => given()],
    ['a disabled key', (): ApiKeyState => given([disable])],
  ])('revokes %s', (_label, state) => {
    expect(run(state(), revoke)?.status).toBe('revoked');
  });

  it('revokes an expired key, keeping the reason', () => {
    const command: ApiKeyCommand = { type: 'RevokeKey', data: { ...ADMIN, reason: 'customer left' } };
    expect(decide(command, expiredKey(), AFTER_EXPIRY)).toEqual([
      { type: 'KeyRevoked', schemaVersion: 1, data: { by: 'key_admin', reason: 'customer left' } },
    ]);
  });

  it('does nothing for a key that is already revoked', () => {
    spec.givenState(given([revoke])).when(revoke).thenNothing();
  });
});

describe('ExpireKey', () => {
  it('records the expiry once it has passed, giving the instant it passed', () => {
    const state = given([], createKey({ expiresAt: SHORT_EXPIRY }));
    spec.givenState(state).when(expire, AFTER_EXPIRY).then([
      { type: 'KeyExpired', schemaVersion: 1, data: { expiredAt: SHORT_EXPIRY } },
    ]);
  });

  it('records it at the very instant of expiry', () => {
    const state = given([], createKey({ expiresAt: SHORT_EXPIRY }));
    expect(decide(expire, state, new Date(SHORT_EXPIRY))).toHaveLength(1);
    expect(decide(expire, state, at(new Date(SHORT_EXPIRY), -1))).toEqual([]);
  });

  it('expires a disabled key whose expiry has passed', () => {
    const state = given([disable], createKey({ expiresAt: SHORT_EXPIRY }));
    expect(run(state, expire, AFTER_EXPIRY)?.status).toBe('expired');
  });

  it('does nothing when run twice', () => {
    const state = expiredKey();
    spec.givenState(state).when(expire, AFTER_EXPIRY).thenNothing();
    expect(state.version).toBe(2);
  });

  it('does nothing for a revoked key', () => {
    const state = given([revoke], createKey({ expiresAt: SHORT_EXPIRY }));
    spec.givenState(state).when(expire, AFTER_EXPIRY).thenNothing();
  });
});

describe('a key through its life', () => {
  it('folds a sequence of decisions into the final state', () => {
    const created = new Date('2028-02-29T12:00:00Z');
    const day = (n: number): Date => at(created, n * DAY);
    const steps: readonly (readonly [ApiKeyCommand, Date])[] = [
      [changePermissions(['devices:write', 'devices:read', 'technicians:read']), day(1)],
      [changeAllowedIps(['192.0.2.10/24', '2001:db8::1']), day(2)],
      [rotate(86_400), day(30)],
      [disable, day(40)],
      [disable, day(41)],
      [enable(), day(42)],
      [changeExpiry('2028-06-01T00:00:00Z'), day(50)],
      [expire, day(60)],
      [expire, new Date('2028-06-01T00:00:00Z')],
      [expire, day(100)],
      [enable('2029-01-01T00:00:00Z'), day(110)],
      [rotate(0, HASH_3, 'kw_sk_ghi789'), day(120)],
    ];
    let state: ApiKeyAggregate = run(null, createKey(), created);
    const types: string[] = [];
    for (const [command, now] of steps) {
      const events = decide(command, state, now);
      types.push(...events.map((e) => e.type));
      state = spec.fold(state, events, now);
    }
    expect(types).toEqual([
      'KeyPermissionsChanged',
      'KeyAllowedIpsChanged',
      'KeyRotated',
      'KeyDisabled',
      'KeyEnabled',
      'KeyExpiryChanged',
      'KeyExpired',
      'KeyEnabled',
      'KeyRotated',
    ]);
    expect(state).toEqual({
      id: KEY_ID,
      accountId: ACCOUNT_ID,
      kind: 'private',
      name: 'Billing server',
      permissions: ['devices:read', 'devices:write', 'technicians:read'],
      allowedIps: ['192.0.2.0/24', '2001:db8::1'],
      allowedOrigins: [],
      rateLimit: null,
      expiresAt: '2029-01-01T00:00:00.000Z',
      status: 'active',
      createdAt: '2028-02-29T12:00:00.000Z',
      createdBy: 'bootstrap',
      secretHash: HASH_3,
      tokenPrefix: 'kw_sk_ghi789',
      previousSecretHash: HASH_2,
      graceUntil: day(120).toISOString(),
      lastRotatedAt: day(120).toISOString(),
      version: 10,
    });
    expect(run(state, revoke, day(121))?.status).toBe('revoked');
  });
});

describe('decide: a caller cannot reach above itself', () => {
  const stronger = (): ApiKeyState => given([], createKey({ permissions: ['devices:read', 'devices:write'] }));
  const weak = { by: 'key_manager', callerPermissions: ['devices:read', 'keys:manage'] } as const;
  const commands: readonly ApiKeyCommand[] = [
    { type: 'RotateKey', data: { ...weak, secretHash: HASH_2, tokenPrefix: 'kw_sk_def456', gracePeriodSeconds: 604_800 } },
    { type: 'DisableKey', data: weak },
    { type: 'EnableKey', data: { ...weak, expiresAt: at(NOW, DAY).toISOString() } },
    { type: 'ChangeExpiry', data: { ...weak, expiresAt: at(NOW, DAY).toISOString() } },
    { type: 'ChangePermissions', data: { ...weak, permissions: ['devices:read'] } },
    { type: 'ChangeAllowedIps', data: { ...weak, allowedIps: ['10.0.0.0/8'] } },
    { type: 'RevokeKey', data: weak },
  ];

  it.each(commands.map((c) => [c.type, c]))('refuses %s on a key holding a permission the caller lacks, naming it', (_type, command) => {
    const refused = spec.givenState(stronger()).when(command).thenThrows(KeyRuleViolation);
    expect({ code: refused.code, kind: refused.kind, details: refused.details }).toEqual({
      code: 'permission_escalation', kind: 'forbidden', details: { keyId: KEY_ID, permissions: ['devices:write'] },
    });
    expect(KEY_RULE_CODES.permission_escalation).toBe('forbidden');
  });

  it.each(commands.map((c) => [c.type, c]))('allows %s on a key holding only what the caller holds', (_type, command) => {
    const equal = createKey({ permissions: ['devices:read', 'keys:manage'] });
    const target = command.type === 'EnableKey' ? given([disable], equal) : given([], equal);
    expect(() => decide(command, target, NOW)).not.toThrow();
    const weaker = createKey({ permissions: ['devices:read'] });
    expect(() => decide(command, command.type === 'EnableKey' ? given([disable], weaker) : given([], weaker), NOW)).not.toThrow();
  });

  it('refuses granting a permission the caller lacks, also to its own key', () => {
    const self = given([], createKey({ permissions: ['devices:read', 'keys:manage'] }));
    const refused = spec.givenState(self).when({ type: 'ChangePermissions', data: { ...weak, permissions: ['devices:read', 'keys:manage', 'keys:read'] } }).thenThrows(KeyRuleViolation);
    expect({ code: refused.code, details: refused.details }).toEqual({ code: 'permission_escalation', details: { permissions: ['keys:read'] } });
    const create = spec.given().when(createKey({ permissions: ['technicians:write', 'devices:read'], callerPermissions: weak.callerPermissions })).thenThrows(KeyRuleViolation);
    expect(create.details).toEqual({ permissions: ['technicians:write'] });
  });

  it('is checked before the key\'s state, so a refusal does not depend on it', () => {
    const revoked = given([revoke], createKey({ permissions: ['devices:read', 'devices:write'] }));
    spec.givenState(revoked).when({ type: 'RevokeKey', data: weak }).thenThrows(KeyRuleViolation, 'permission_escalation');
  });

  it('leaves the expiry sweep alone: ExpireKey has no caller', () => {
    const state = given([], createKey({ expiresAt: at(NOW, DAY).toISOString(), permissions: ['devices:write'] }));
    expect(decide(expire, state, at(NOW, 2 * DAY)).map((e) => e.type)).toEqual(['KeyExpired']);
  });
});
