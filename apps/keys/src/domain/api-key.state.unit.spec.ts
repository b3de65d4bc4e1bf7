import type { KeyEventEnvelope, Permission } from '@keyward/contracts';
import { evolve, foldKeyEvents, initialState } from './api-key.state';

const HASH_1 = '1'.repeat(64);
const HASH_2 = '2'.repeat(64);

let version = 0;
function envelope<T extends KeyEventEnvelope['type']>(
  type: T,
  data: Extract<KeyEventEnvelope, { type: T }>['data'],
  occurredAt = '2027-06-15T10:00:00.000Z',
): KeyEventEnvelope {
  version += 1;
  return {
    id: `evt_${version}`,
    type,
    schemaVersion: 1,
    aggregateId: 'key_01',
    accountId: 'acc_01',
    version,
    occurredAt,
    data,
  } as KeyEventEnvelope;
}

const created = (): KeyEventEnvelope =>
  envelope('KeyCreated', {
    kind: 'private',
    name: 'Billing',
    permissions: ['devices:read'],
    allowedIps: [],
    expiresAt: '2028-06-15T10:00:00.000Z',
    createdBy: 'bootstrap',
    secretHash: HASH_1,
    tokenPrefix: 'kw_sk_abc123',
  });

beforeEach(() => {
  version = 0;
});

describe('evolve', () => {
  it('starts from no key', () => {
    expect(initialState()).toBeNull();
  });

  it('creates an active key from KeyCreated, taking id, account and time from the envelope', () => {
    expect(evolve(null, created())).toEqual({
      id: 'key_01',
      accountId: 'acc_01',
      kind: 'private',
      name: 'Billing',
      permissions: ['devices:read'],
      allowedIps: [],
      // A v1 KeyCreated (no origins, no limit): no restriction, and a private key's default, none.
      allowedOrigins: [],
      rateLimit: null,
      expiresAt: '2028-06-15T10:00:00.000Z',
      status: 'active',
      createdAt: '2027-06-15T10:00:00.000Z',
      createdBy: 'bootstrap',
      secretHash: HASH_1,
      tokenPrefix: 'kw_sk_abc123',
      version: 1,
    });
  });

  it.each<[string, () => KeyEventEnvelope, Record<string, unknown>]>([
    ['KeyDisabled', () => envelope('KeyDisabled', { by: 'k' }), { status: 'disabled' }],
    ['KeyExpired', () => envelope('KeyExpired', { expiredAt: '2028-06-15T10:00:00.000Z' }), { status: 'expired' }],
    ['KeyRevoked', () => envelope('KeyRevoked', { by: 'k', reason: 'gone' }), { status: 'revoked' }],
    [
      'KeyExpiryChanged',
      () => envelope('KeyExpiryChanged', { by: 'k', expiresAt: '2027-09-01T00:00:00.000Z' }),
      { status: 'active', expiresAt: '2027-09-01T00:00:00.000Z' },
    ],
    [
      'KeyPermissionsChanged',
      () => envelope('KeyPermissionsChanged', { by: 'k', permissions: ['keys:read'] }),
      { permissions: ['keys:read'] },
    ],
    [
      'KeyAllowedIpsChanged',
      () => envelope('KeyAllowedIpsChanged', { by: 'k', allowedIps: ['192.0.2.0/24'] }),
      { allowedIps: ['192.0.2.0/24'] },
    ],
    [
      'KeyRotated',
      () =>
        envelope(
          'KeyRotated',
          { by: 'k', secretHash: HASH_2, tokenPrefix: 'kw_sk_def456', previousSecretHash: HASH_1, graceUntil: '2027-07-02T00:00:00.000Z' },
          '2027-07-01T00:00:00.000Z',
        ),
      {
        secretHash: HASH_2,
        tokenPrefix: 'kw_sk_def456',
        previousSecretHash: HASH_1,
        graceUntil: '2027-07-02T00:00:00.000Z',
        lastRotatedAt: '2027-07-01T00:00:00.000Z',
      },
    ],
  ])('applies %s and counts it in the version', (_type, event, expected) => {
    const state = evolve(evolve(null, created()), event());
    expect(state).toMatchObject({ ...expected, version: 2 });
  });

  it('folds an old stream naming the retired projections:operate into a key that does not hold it', () => {
    // The bootstrap gave every admin key projections:operate before operators got their own token.
    const retired = 'projections:operate' as unknown as Permission;
    const old = created();
    const state = foldKeyEvents([
      { ...old, data: { ...old.data, permissions: ['devices:read', retired] } } as KeyEventEnvelope,
      envelope('KeyPermissionsChanged', { by: 'key_admin', permissions: [retired, 'keys:manage', 'keys:read'] }),
    ]);
    expect(state?.permissions).toEqual(['keys:manage', 'keys:read']);
    expect(state?.version).toBe(2);
  });

  it('applies KeyEnabled as active with the given expiry', () => {
    const disabled = evolve(evolve(null, created()), envelope('KeyDisabled', { by: 'k' }));
    const state = evolve(disabled, envelope('KeyEnabled', { by: 'k', expiresAt: '2027-12-01T00:00:00.000Z' }));
    expect(state).toMatchObject({ status: 'active', expiresAt: '2027-12-01T00:00:00.000Z', version: 3 });
  });

  it('does not change the state it was given', () => {
    const state = evolve(null, created());
    const copy = structuredClone(state);
    evolve(state, envelope('KeyRevoked', { by: 'k' }));
    expect(state).toEqual(copy);
  });

  it('throws on an event for a key that was never created, as the stream is corrupt', () => {
    expect(() => evolve(null, envelope('KeyDisabled', { by: 'k' }))).toThrow(/never created/);
  });

  it('throws on a second KeyCreated', () => {
    const state = evolve(null, created());
    expect(() => evolve(state, created())).toThrow(/already exists/);
  });
});

describe('foldKeyEvents', () => {
  it('gives no key for no events', () => {
    expect(foldKeyEvents([])).toBeNull();
  });

  it('folds a stream in order', () => {
    const state = foldKeyEvents([
      created(),
      envelope('KeyDisabled', { by: 'k' }),
      envelope('KeyEnabled', { by: 'k', expiresAt: '2027-12-01T00:00:00.000Z' }),
      envelope('KeyRevoked', { by: 'k' }),
    ]);
    expect(state).toMatchObject({ status: 'revoked', expiresAt: '2027-12-01T00:00:00.000Z', version: 4 });
  });
});
