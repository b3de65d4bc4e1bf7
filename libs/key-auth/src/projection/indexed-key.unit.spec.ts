import { randomUUID } from 'node:crypto';
import type { KeyEventEnvelope, KeyStatus, Permission } from '@keyward/contracts';
import { generateToken, hashToken } from '@keyward/contracts';
import { authorize } from '../authorize/authorize';
import { KeyIndex } from './key-index';
import type { KeyView } from './key-view';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const HOUR = 3_600_000;
const iso = (ms: number): string => new Date(ms).toISOString();

function created(keyId: string, token: string, over: { accountId?: string; permissions?: Permission[]; allowedIps?: string[] } = {}): KeyEventEnvelope {
  return {
    id: randomUUID(),
    type: 'KeyCreated',
    schemaVersion: 1,
    aggregateId: keyId,
    accountId: over.accountId ?? 'acc_1',
    version: 1,
    occurredAt: iso(T0),
    data: {
      kind: 'private',
      name: `key ${keyId}`,
      permissions: over.permissions ?? ['devices:read', 'tickets:read'],
      allowedIps: over.allowedIps ?? [],
      expiresAt: iso(T0 + 1000 * HOUR),
      createdBy: 'bootstrap',
      secretHash: hashToken(token),
      tokenPrefix: token.slice(0, 12),
    },
  };
}

/** JSON with sorted keys, as the rebuild compares views. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : 1))) : v);
}

const viewBase: KeyView = {
  id: 'key_a',
  accountId: 'acc_1',
  kind: 'private',
  name: 'ci',
  permissions: ['devices:read'],
  allowedIps: ['10.0.0.0/8', '2001:db8::/32'],
  expiresAt: iso(T0 + 1000 * HOUR),
  status: 'active',
  createdAt: iso(T0),
  createdBy: 'bootstrap',
  secretHash: hashToken(generateToken('private')),
  tokenPrefix: 'kw_sk_abcdef',
  version: 3,
  updatedAt: iso(T0 + HOUR),
};

describe('IndexedKey: a lean entry that gives its view back field for field', () => {
  it.each<[string, Partial<KeyView>]>([
    ['an ordinary key', {}],
    ['a key never changed since creation', { updatedAt: iso(T0), version: 1 }],
    ['a rotated key in its grace', {
      previousSecretHash: hashToken(generateToken('private')), graceUntil: iso(T0 + 5 * HOUR), lastRotatedAt: iso(T0 + HOUR),
    }],
    ['dates not in canonical form', { expiresAt: '2026-01-01T00:00:00Z', createdAt: '2025-03-01T12:00:00+00:00' }],
    ['an unreadable expiry', { expiresAt: 'soon' }],
    ['times outside the small-integer range (1986-2054)', { expiresAt: '2100-01-01T00:00:00.123Z', createdAt: '1970-01-01T00:00:00.001Z' }],
    ['a pre-1970 creation and a millisecond expiry', { expiresAt: '2053-12-31T23:59:59.999Z', createdAt: '1987-06-05T04:03:02.001Z' }],
    ['a name in two-byte characters', { name: 'Schlüssel für Zürich ☃' }],
    ['a secret hash that is not hex SHA-256', { secretHash: 'legacy-hash-1' }],
    ['a token prefix of another shape', { tokenPrefix: 'legacy' }],
    ['a status this code does not know', { status: 'suspended' as KeyStatus }],
    ['a permission outside the catalog', { permissions: ['devices:read', 'reports:read' as Permission] }],
    ['no permissions and no IP list', { permissions: [], allowedIps: [] }],
  ])('%s', (_what, change) => {
    const view: KeyView = { ...viewBase, ...change };
    const index = new KeyIndex();
    index.load([JSON.parse(JSON.stringify(view)) as KeyView]);
    expect(index.get(view.id)).toEqual(view);
    expect(canonical(index.snapshot()[0])).toBe(canonical(view));
  });

  it.each<[string, string]>([
    ['in range', '2025-03-01T12:00:00.789Z'],
    ['before 1970', '1960-01-01T00:00:00.001Z'],
    ['past the small-integer range', '2100-01-01T00:00:00.123Z'],
    ['not canonical', '2026-01-01T00:00:00Z'],
  ])('holds an expiry %s to the millisecond for the check', (_what, expiresAt) => {
    const index = new KeyIndex();
    index.load([{ ...viewBase, expiresAt }]);
    expect(index.entry(viewBase.id)?.expiresAtMs).toBe(Date.parse(expiresAt));
  });

  it('holds an unreadable expiry as NaN, which no time is before', () => {
    const index = new KeyIndex();
    index.load([{ ...viewBase, expiresAt: 'soon' }]);
    expect(index.entry(viewBase.id)?.expiresAtMs).toBeNaN();
  });

  it('finds a key by the stored hash, by the previous one during its grace, and by a non-hex hash as written', () => {
    const previous = generateToken('private');
    const index = new KeyIndex();
    index.load([
      { ...viewBase, previousSecretHash: hashToken(previous), graceUntil: iso(T0 + 5 * HOUR) },
      { ...viewBase, id: 'key_b', secretHash: 'legacy-hash-1' },
    ]);
    expect(index.findByTokenHash(viewBase.secretHash, T0)?.id).toBe('key_a');
    expect(index.findByTokenHash(hashToken(previous), T0 + 5 * HOUR - 1)?.id).toBe('key_a');
    expect(index.findByTokenHash(hashToken(previous), T0 + 5 * HOUR)).toBeUndefined();
    expect(index.findByTokenHash('legacy-hash-1', T0)?.id).toBe('key_b');
  });

  it('shares one profile among keys alike, and the permission set and IP list across accounts', () => {
    const index = new KeyIndex();
    const ips = ['10.0.0.0/8'];
    index.apply(created('key_1', generateToken('private'), { allowedIps: ips }));
    index.apply(created('key_2', generateToken('private'), { allowedIps: ips }));
    index.apply(created('key_3', generateToken('private'), { allowedIps: ips, accountId: 'acc_2' }));
    const [a, b, c] = ['key_1', 'key_2', 'key_3'].map((id) => index.entry(id));
    expect(a?.profile).toBe(b?.profile);
    expect(c?.profile).not.toBe(a?.profile);
    expect(c?.permissions).toBe(a?.permissions);
    expect(c?.allowList).toBe(a?.allowList);
    expect(c?.profile.accountId).toBe('acc_2');
  });

  it('grants nothing for a permission outside the catalog, though the view still names it', () => {
    const token = generateToken('private');
    const index = new KeyIndex();
    index.load([{ ...viewBase, allowedIps: [], secretHash: hashToken(token), permissions: ['reports:read' as Permission, 'devices:read'] }]);
    expect(index.get('key_a')?.permissions).toEqual(['reports:read', 'devices:read']);
    expect([...(index.entry('key_a')?.permissions ?? [])]).toEqual(['devices:read']);
    const ask = (permission: Permission) => authorize(index, { token, clientIp: '10.1.1.1', permission, nowMs: T0 });
    expect(ask('devices:read').ok).toBe(true);
    expect(ask('reports:read' as Permission)).toMatchObject({ ok: false, code: 'permission_denied' });
  });

  it('makes the granted outcome on first use, keeps it, and drops it when the grant changes', () => {
    const token = generateToken('private');
    const index = new KeyIndex();
    index.apply(created('key_1', token));
    const ask = () => authorize(index, { token, clientIp: '10.1.1.1', permission: 'devices:read', nowMs: T0 });
    const first = ask();
    expect(first.ok).toBe(true);
    expect(ask()).toBe(first);
    const extend = { ...created('key_1', token), version: 2, type: 'KeyExpiryChanged', data: { by: 'admin', expiresAt: iso(T0 + 2000 * HOUR) } };
    expect(index.apply(extend as KeyEventEnvelope)).toBe('applied');
    expect(ask()).toBe(first);
    const narrow = { ...created('key_1', token), version: 3, type: 'KeyPermissionsChanged', data: { by: 'admin', permissions: ['devices:read'] } };
    expect(index.apply(narrow as KeyEventEnvelope)).toBe('applied');
    const after = ask();
    expect(after).not.toBe(first);
    expect(after.ok && [...after.key.permissions]).toEqual(['devices:read']);
  });

  it('treats a status it does not know as disabled, as before', () => {
    const token = generateToken('private');
    const index = new KeyIndex();
    index.load([{ ...viewBase, allowedIps: [], secretHash: hashToken(token), status: 'suspended' as KeyStatus }]);
    expect(authorize(index, { token, clientIp: undefined, permission: 'devices:read', nowMs: T0 })).toMatchObject({ code: 'key_disabled' });
  });
});
