import { randomUUID } from 'node:crypto';
import type { KeyEventDataByType, KeyEventEnvelope, KeyEventType, Permission } from '@keyward/contracts';
import { generateToken, hashToken } from '@keyward/contracts';
import type { ApplyResult } from './key-index';
import { KeyIndex } from './key-index';
import type { KeyView } from './key-view';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const HOUR = 3_600_000;
const iso = (ms: number): string => new Date(ms).toISOString();

const KEY_ID = 'key_1';
const ACCOUNT_ID = 'acc_1';
const TOKEN = generateToken('private');
const HASH = hashToken(TOKEN);

function event<T extends KeyEventType>(
  version: number,
  type: T,
  data: KeyEventDataByType[T],
  atMs = T0 + version * HOUR,
  keyId = KEY_ID,
): KeyEventEnvelope {
  return {
    id: randomUUID(),
    type,
    schemaVersion: 1,
    aggregateId: keyId,
    accountId: ACCOUNT_ID,
    version,
    occurredAt: iso(atMs),
    data,
  } as KeyEventEnvelope;
}

function created(version = 1, keyId = KEY_ID, secretHash = HASH): KeyEventEnvelope {
  return event(
    version,
    'KeyCreated',
    {
      kind: 'private',
      name: 'ci',
      permissions: ['devices:read'],
      allowedIps: ['10.0.0.0/8'],
      expiresAt: iso(T0 + 1000 * HOUR),
      createdBy: 'bootstrap',
      secretHash,
      tokenPrefix: 'kw_sk_abcdef',
    },
    T0,
    keyId,
  );
}

const disabled = (version: number): KeyEventEnvelope => event(version, 'KeyDisabled', { by: 'admin' });
const revoked = (version: number): KeyEventEnvelope => event(version, 'KeyRevoked', { by: 'admin' });

function rotated(version: number, secretHash: string, previousSecretHash: string, graceUntilMs: number): KeyEventEnvelope {
  return event(version, 'KeyRotated', {
    by: 'admin',
    secretHash,
    tokenPrefix: 'kw_sk_zzzzzz',
    previousSecretHash,
    graceUntil: iso(graceUntilMs),
  });
}

describe('KeyIndex', () => {
  let index: KeyIndex;
  beforeEach(() => {
    index = new KeyIndex();
  });

  it('projects a created key as an active view, findable by id and by token hash', () => {
    expect(index.apply(created())).toBe('applied');
    expect(index.size).toBe(1);
    expect(index.get(KEY_ID)).toEqual<KeyView>({
      id: KEY_ID,
      accountId: ACCOUNT_ID,
      kind: 'private',
      name: 'ci',
      permissions: ['devices:read'],
      allowedIps: ['10.0.0.0/8'],
      expiresAt: iso(T0 + 1000 * HOUR),
      status: 'active',
      createdAt: iso(T0),
      createdBy: 'bootstrap',
      secretHash: HASH,
      tokenPrefix: 'kw_sk_abcdef',
      version: 1,
      updatedAt: iso(T0),
    });
    expect(index.findByTokenHash(HASH, T0)?.view.id).toBe(KEY_ID);
    expect(index.findByTokenHash(hashToken(generateToken('private')), T0)).toBeUndefined();
  });

  it('applies an old event naming the retired projections:operate, and the key does not hold it', () => {
    // Written before the permission left the catalog: events are never rewritten.
    // No type can say it: the name left Permission's union with the catalog, which is this test's point.
    const retired = 'projections:operate' as unknown as Permission;
    const old = created();
    expect(index.apply({ ...old, data: { ...old.data, permissions: ['devices:read', retired] } } as KeyEventEnvelope)).toBe('applied');
    expect(index.get(KEY_ID)?.permissions).toEqual(['devices:read']);
    expect([...index.entry(KEY_ID)!.permissions]).toEqual(['devices:read']);
    expect(index.apply(event(2, 'KeyPermissionsChanged', { by: 'admin', permissions: [retired, 'devices:write'] }))).toBe('applied');
    expect(index.get(KEY_ID)?.permissions).toEqual(['devices:write']);
    // A view persisted before the change still names it: loading it grants nothing either.
    const loaded = new KeyIndex();
    loaded.load([{ ...index.get(KEY_ID)!, permissions: ['devices:write', retired] }]);
    expect([...loaded.entry(KEY_ID)!.permissions]).toEqual(['devices:write']);
  });

  it('precomputes the permission set, IP list and times when an event is applied', () => {
    index.apply(created());
    const entry = index.entry(KEY_ID)!;
    expect(entry.permissions.has('devices:read')).toBe(true);
    expect(entry.allowList.allows('10.1.1.1')).toBe(true);
    expect(entry.expiresAtMs).toBe(T0 + 1000 * HOUR);
    expect(entry.graceUntilMs).toBe(Number.NEGATIVE_INFINITY);
  });

  it('keeps what an event did not change, so a status change does not recompile the IP list', () => {
    index.apply(created());
    const before = index.entry(KEY_ID)!;
    const grantedBefore = before.granted;
    index.apply(event(2, 'KeyExpiryChanged', { by: 'admin', expiresAt: iso(T0 + 2000 * HOUR) }));
    const after = index.entry(KEY_ID)!;
    expect(after.allowList).toBe(before.allowList);
    expect(after.permissions).toBe(before.permissions);
    expect(after.granted).toBe(grantedBefore);
    expect(after.expiresAtMs).toBe(T0 + 2000 * HOUR);

    index.apply(event(3, 'KeyAllowedIpsChanged', { by: 'admin', allowedIps: ['192.0.2.1'] }));
    expect(index.entry(KEY_ID)!.allowList).not.toBe(before.allowList);
    index.apply(event(4, 'KeyPermissionsChanged', { by: 'admin', permissions: ['devices:write'] }));
    expect(index.entry(KEY_ID)!.granted.key.permissions.has('devices:write')).toBe(true);
  });

  describe('versions', () => {
    it('applies each version once and reports redeliveries as duplicates', () => {
      const results: ApplyResult[] = [created(), disabled(2), created(), disabled(2)].map((e) => index.apply(e));
      expect(results).toEqual(['applied', 'applied', 'duplicate', 'duplicate']);
      expect(index.get(KEY_ID)?.version).toBe(2);
    });

    it('does not let a redelivered older event undo a newer one', () => {
      index.apply(created());
      index.apply(disabled(2));
      index.apply(event(3, 'KeyEnabled', { by: 'admin', expiresAt: iso(T0 + 500 * HOUR) }));
      expect(index.apply(disabled(2))).toBe('duplicate');
      expect(index.get(KEY_ID)?.status).toBe('active');
    });

    it('applies a revocation past a gap at once but keeps the version, so the next real event still applies', () => {
      index.apply(created());
      expect(index.apply(revoked(3))).toBe('gap');
      expect(index.get(KEY_ID)?.status).toBe('revoked');
      expect(index.get(KEY_ID)?.version).toBe(1);
      expect(index.apply(disabled(2))).toBe('applied');
      expect(index.get(KEY_ID)?.status).toBe('revoked');
    });

    it('quarantines an event far ahead that could grant access, and the real events after the current one still apply', () => {
      index.apply(created());
      expect(index.apply(event(1000, 'KeyPermissionsChanged', { by: 'admin', permissions: ['devices:write'] }))).toBe('quarantined');
      expect(index.get(KEY_ID)).toMatchObject({ version: 1, permissions: ['devices:read'] });
      expect(index.apply(revoked(2))).toBe('applied');
      expect(index.get(KEY_ID)).toMatchObject({ status: 'revoked', version: 2 });
    });

    it('applies a disable far ahead at once, and an enable after a gap stays quarantined', () => {
      index.apply(created());
      expect(index.apply(disabled(7))).toBe('gap');
      expect(index.get(KEY_ID)?.status).toBe('disabled');
      expect(index.apply(event(8, 'KeyEnabled', { by: 'admin', expiresAt: iso(T0 + 500 * HOUR) }))).toBe('quarantined');
      expect(index.get(KEY_ID)?.status).toBe('disabled');
    });

    it('reports a gap, and keeps the key unknown, for a disable of a key whose creation it never saw', () => {
      expect(index.apply(disabled(2))).toBe('gap');
      expect(index.size).toBe(0);
      expect(index.get(KEY_ID)).toBeUndefined();
    });

    it('quarantines a creation that arrives after a gap', () => {
      expect(index.apply(created(4))).toBe('quarantined');
      expect(index.get(KEY_ID)).toBeUndefined();
    });

    it('never brings a revoked key back, whatever arrives after the revocation', () => {
      index.apply(created());
      index.apply(revoked(2));
      index.apply(event(3, 'KeyEnabled', { by: 'admin', expiresAt: iso(T0 + 500 * HOUR) }));
      index.apply(created(4));
      expect(index.get(KEY_ID)?.status).toBe('revoked');
      expect(index.get(KEY_ID)?.version).toBe(4);
    });
  });

  describe('rotation', () => {
    const next = generateToken('private');
    const nextHash = hashToken(next);
    const graceUntilMs = T0 + 10 * HOUR;

    beforeEach(() => {
      index.apply(created());
      index.apply(rotated(2, nextHash, HASH, graceUntilMs));
    });

    it('records the rotation on the view', () => {
      expect(index.get(KEY_ID)).toMatchObject({
        secretHash: nextHash,
        previousSecretHash: HASH,
        graceUntil: iso(graceUntilMs),
        lastRotatedAt: iso(T0 + 2 * HOUR),
        tokenPrefix: 'kw_sk_zzzzzz',
      });
      expect(index.entry(KEY_ID)!.graceUntilMs).toBe(graceUntilMs);
    });

    it('finds the key by the new hash always and by the old hash only before the grace end', () => {
      expect(index.findByTokenHash(nextHash, graceUntilMs + HOUR)?.view.id).toBe(KEY_ID);
      expect(index.findByTokenHash(HASH, graceUntilMs - 1)?.view.id).toBe(KEY_ID);
      expect(index.findByTokenHash(HASH, graceUntilMs)).toBeUndefined();
    });

    it('drops the old hash once it is found stale, and a later event does not bring it back', () => {
      expect(index.findByTokenHash(HASH, graceUntilMs + 1)).toBeUndefined();
      // Asking again with an earlier clock shows the entry is gone, not merely filtered.
      expect(index.findByTokenHash(HASH, T0)).toBeUndefined();
      index.apply(event(3, 'KeyPermissionsChanged', { by: 'admin', permissions: ['devices:write'] }));
      expect(index.findByTokenHash(HASH, T0)).toBeUndefined();
      expect(index.findByTokenHash(nextHash, T0)?.view.permissions).toEqual(['devices:write']);
    });

    it('keeps the old hash through unrelated events while the grace lasts', () => {
      index.apply(disabled(3));
      expect(index.findByTokenHash(HASH, graceUntilMs - 1)?.view.status).toBe('disabled');
    });

    it('replaces the previous hash on a second rotation', () => {
      const third = hashToken(generateToken('private'));
      index.apply(rotated(3, third, nextHash, graceUntilMs + HOUR));
      expect(index.findByTokenHash(HASH, T0)).toBeUndefined();
      expect(index.findByTokenHash(nextHash, T0)?.view.id).toBe(KEY_ID);
      expect(index.findByTokenHash(third, T0)?.view.id).toBe(KEY_ID);
    });
  });

  describe('snapshot and load', () => {
    it('round-trips through JSON to an index that answers the same', () => {
      const next = hashToken(generateToken('private'));
      const graceUntilMs = T0 + 10 * HOUR;
      index.apply(created());
      index.apply(rotated(2, next, HASH, graceUntilMs));
      index.apply(created(1, 'key_2', hashToken(generateToken('private'))));
      index.apply(event(2, 'KeyRevoked', { by: 'admin' }, T0, 'key_2'));

      const persisted = JSON.parse(JSON.stringify(index.snapshot())) as KeyView[];
      const restored = new KeyIndex();
      restored.load(persisted);

      expect(restored.size).toBe(2);
      expect(restored.snapshot()).toEqual(index.snapshot());
      expect(restored.findByTokenHash(next, T0)?.view.id).toBe(KEY_ID);
      expect(restored.findByTokenHash(HASH, graceUntilMs - 1)?.view.id).toBe(KEY_ID);
      expect(restored.findByTokenHash(HASH, graceUntilMs)).toBeUndefined();
      expect(restored.get('key_2')?.status).toBe('revoked');
      expect(restored.entry(KEY_ID)!.allowList.allows('10.9.9.9')).toBe(true);
      // Versions survive, so replay after a restart skips what the snapshot already holds.
      expect(restored.apply(rotated(2, next, HASH, graceUntilMs))).toBe('duplicate');
      expect(restored.apply(disabled(3))).toBe('applied');
    });

    it('replaces whatever the index held before', () => {
      index.apply(created(1, 'key_old', hashToken(generateToken('private'))));
      const other = new KeyIndex();
      other.apply(created());
      index.load(other.snapshot());
      expect(index.size).toBe(1);
      expect(index.get('key_old')).toBeUndefined();
      expect(index.findByTokenHash(HASH, T0)?.view.id).toBe(KEY_ID);
    });
  });
});
