import { randomUUID } from 'node:crypto';
import type { KeyEventDataByType, KeyEventEnvelope, KeyEventType, KeyKind, Permission } from '@keyward/contracts';
import { generateToken, hashToken } from '@keyward/contracts';
import { KeyIndex } from '../projection/key-index';
import type { AuthOutcome, AuthRequest } from './auth-outcome';
import { authorize } from './authorize';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number): string => new Date(ms).toISOString();

/** One key's event stream: numbers versions and stamps envelopes as the key service would. */
class KeyStream {
  private version = 0;
  constructor(
    private readonly index: KeyIndex,
    readonly keyId: string,
    readonly accountId: string,
  ) {}

  emit<T extends KeyEventType>(type: T, data: KeyEventDataByType[T], atMs = T0): void {
    this.version += 1;
    const event = {
      id: randomUUID(),
      type,
      schemaVersion: 1,
      aggregateId: this.keyId,
      accountId: this.accountId,
      version: this.version,
      occurredAt: iso(atMs),
      data,
    } as KeyEventEnvelope;
    expect(this.index.apply(event)).toBe('applied');
  }
}

interface KeyOptions {
  kind?: KeyKind;
  tokenKind?: KeyKind;
  permissions?: Permission[];
  allowedIps?: string[];
  expiresAtMs?: number;
}

function createKey(index: KeyIndex, options: KeyOptions = {}): { token: string; stream: KeyStream } {
  const kind = options.kind ?? 'private';
  const token = generateToken(options.tokenKind ?? kind);
  const stream = new KeyStream(index, `key_${randomUUID()}`, `acc_${randomUUID()}`);
  stream.emit('KeyCreated', {
    kind,
    name: 'test key',
    permissions: options.permissions ?? ['devices:read'],
    allowedIps: options.allowedIps ?? [],
    expiresAt: iso(options.expiresAtMs ?? T0 + 30 * DAY),
    createdBy: 'bootstrap',
    secretHash: hashToken(token),
    tokenPrefix: token.slice(0, 12),
  });
  return { token, stream };
}

function request(token: string | undefined, overrides: Partial<AuthRequest> = {}): AuthRequest {
  return { token, clientIp: '203.0.113.5', permission: 'devices:read', nowMs: T0 + HOUR, ...overrides };
}

function expectFailure(outcome: AuthOutcome, status: 401 | 403, code: string): void {
  expect(outcome).toMatchObject({ ok: false, status, code });
}

describe('authorize', () => {
  let index: KeyIndex;
  beforeEach(() => {
    index = new KeyIndex();
  });

  describe('the token', () => {
    it.each([undefined, ''])('answers 401 missing_key when none is sent (%p)', (token) => {
      expectFailure(authorize(index, request(token)), 401, 'missing_key');
    });

    it.each([
      'hello',
      'Bearer kw_sk_',
      generateToken('private').slice(0, -1),
      generateToken('private') + 'x',
      generateToken('private').replace('kw_sk_', 'kw_xk_'),
      generateToken('private').replace(/^(.{20})./, '$1-'),
    ])('answers 401 malformed_key for a token not in the key format (%p)', (token) => {
      const outcome = authorize(index, request(token));
      expectFailure(outcome, 401, 'malformed_key');
      expect(outcome.ok === false && outcome.detail).toMatch(/format/);
    });

    it('answers 401 malformed_key with a checksum detail for a mistyped character', () => {
      const { token } = createKey(index);
      const last = token.at(-1) === 'a' ? 'b' : 'a';
      const outcome = authorize(index, request(token.slice(0, -1) + last));
      expectFailure(outcome, 401, 'malformed_key');
      expect(outcome.ok === false && outcome.detail).toMatch(/checksum/);
    });

    it('answers 401 unknown_key for a well-formed token no key has', () => {
      createKey(index);
      expectFailure(authorize(index, request(generateToken('private'))), 401, 'unknown_key');
    });

    it('answers 401 unknown_key when the token kind disagrees with the stored key kind', () => {
      const { token } = createKey(index, { kind: 'private', tokenKind: 'public', permissions: ['sessions:create'] });
      expectFailure(authorize(index, request(token, { permission: 'sessions:create' })), 401, 'unknown_key');
    });
  });

  describe('a valid key', () => {
    it('is granted with its key id, account and permissions', () => {
      const { token, stream } = createKey(index, { permissions: ['devices:read', 'devices:write'] });
      const outcome = authorize(index, request(token));
      expect(outcome.ok).toBe(true);
      if (!outcome.ok) return;
      expect(outcome.key.keyId).toBe(stream.keyId);
      expect(outcome.key.accountId).toBe(stream.accountId);
      expect(outcome.key.kind).toBe('private');
      expect([...outcome.key.permissions]).toEqual(['devices:read', 'devices:write']);
    });

    it('returns the same prebuilt outcome on every request', () => {
      const { token } = createKey(index);
      expect(authorize(index, request(token))).toBe(authorize(index, request(token)));
    });
  });

  describe('status', () => {
    it('answers 401 key_disabled for a disabled key, and grants again once it is re-enabled', () => {
      const { token, stream } = createKey(index);
      stream.emit('KeyDisabled', { by: 'admin' });
      expectFailure(authorize(index, request(token)), 401, 'key_disabled');
      stream.emit('KeyEnabled', { by: 'admin', expiresAt: iso(T0 + 60 * DAY) });
      expect(authorize(index, request(token)).ok).toBe(true);
    });

    it('answers 401 key_revoked for a revoked key', () => {
      const { token, stream } = createKey(index);
      stream.emit('KeyRevoked', { by: 'admin' });
      expectFailure(authorize(index, request(token)), 401, 'key_revoked');
    });

    it('answers 401 key_expired for a key the key service marked expired', () => {
      const { token, stream } = createKey(index);
      stream.emit('KeyExpired', { expiredAt: iso(T0) });
      expectFailure(authorize(index, request(token)), 401, 'key_expired');
    });

    it('checks the status before the client address', () => {
      const { token, stream } = createKey(index, { allowedIps: ['10.0.0.0/8'] });
      stream.emit('KeyDisabled', { by: 'admin' });
      expectFailure(authorize(index, request(token, { clientIp: '203.0.113.5' })), 401, 'key_disabled');
    });
  });

  describe('expiry by the clock', () => {
    const expiresAtMs = T0 + DAY;

    it('grants up to the last millisecond before expiresAt', () => {
      const { token } = createKey(index, { expiresAtMs });
      expect(authorize(index, request(token, { nowMs: expiresAtMs - 1 })).ok).toBe(true);
    });

    it('answers 401 key_expired from expiresAt on, before any KeyExpired event', () => {
      const { token } = createKey(index, { expiresAtMs });
      expectFailure(authorize(index, request(token, { nowMs: expiresAtMs })), 401, 'key_expired');
      expectFailure(authorize(index, request(token, { nowMs: expiresAtMs + DAY })), 401, 'key_expired');
    });

    it('follows a changed expiry', () => {
      const { token, stream } = createKey(index, { expiresAtMs });
      stream.emit('KeyExpiryChanged', { by: 'admin', expiresAt: iso(T0 + 10 * DAY) });
      expect(authorize(index, request(token, { nowMs: T0 + 2 * DAY })).ok).toBe(true);
    });

    it('checks expiry before the client address and the permission', () => {
      const { token } = createKey(index, { expiresAtMs, allowedIps: ['10.0.0.1'] });
      const outcome = authorize(index, request(token, { nowMs: expiresAtMs, clientIp: '1.1.1.1', permission: 'keys:manage' }));
      expectFailure(outcome, 401, 'key_expired');
    });
  });

  describe('rotation', () => {
    const rotatedAtMs = T0 + 2 * HOUR;
    const graceUntilMs = rotatedAtMs + DAY;

    function rotate(stream: KeyStream, oldToken: string, graceUntil: number, atMs = rotatedAtMs): string {
      const next = generateToken('private');
      stream.emit(
        'KeyRotated',
        {
          by: 'admin',
          secretHash: hashToken(next),
          tokenPrefix: next.slice(0, 12),
          previousSecretHash: hashToken(oldToken),
          graceUntil: iso(graceUntil),
        },
        atMs,
      );
      return next;
    }

    it('grants the new secret at once', () => {
      const { token, stream } = createKey(index);
      const next = rotate(stream, token, graceUntilMs);
      expect(authorize(index, request(next, { nowMs: rotatedAtMs })).ok).toBe(true);
      expect(authorize(index, request(next, { nowMs: graceUntilMs + DAY })).ok).toBe(true);
    });

    it('grants the old secret, as the same key, until the grace ends', () => {
      const { token, stream } = createKey(index);
      rotate(stream, token, graceUntilMs);
      const outcome = authorize(index, request(token, { nowMs: graceUntilMs - 1 }));
      expect(outcome.ok && outcome.key.keyId).toBe(stream.keyId);
    });

    it('answers 401 unknown_key for the old secret from the end of its grace on', () => {
      const { token, stream } = createKey(index);
      rotate(stream, token, graceUntilMs);
      expectFailure(authorize(index, request(token, { nowMs: graceUntilMs })), 401, 'unknown_key');
    });

    it('refuses the old secret straight away when rotated without grace', () => {
      const { token, stream } = createKey(index);
      rotate(stream, token, rotatedAtMs);
      expectFailure(authorize(index, request(token, { nowMs: rotatedAtMs })), 401, 'unknown_key');
    });

    it('forgets the first secret when the key is rotated again, grace or not', () => {
      const { token, stream } = createKey(index);
      const second = rotate(stream, token, graceUntilMs);
      const third = rotate(stream, second, graceUntilMs + HOUR, rotatedAtMs + HOUR);
      const nowMs = rotatedAtMs + 2 * HOUR;
      expectFailure(authorize(index, request(token, { nowMs })), 401, 'unknown_key');
      expect(authorize(index, request(second, { nowMs })).ok).toBe(true);
      expect(authorize(index, request(third, { nowMs })).ok).toBe(true);
    });

    it('answers key_revoked, not a grant, for the old secret of a key revoked during its grace', () => {
      const { token, stream } = createKey(index);
      rotate(stream, token, graceUntilMs);
      stream.emit('KeyRevoked', { by: 'admin' }, rotatedAtMs + HOUR);
      expectFailure(authorize(index, request(token, { nowMs: rotatedAtMs + 2 * HOUR })), 401, 'key_revoked');
    });
  });

  describe('client address', () => {
    it.each([
      ['10.0.0.0/8', '10.20.30.40', true],
      ['10.0.0.0/8', '11.0.0.1', false],
      ['192.0.2.7', '192.0.2.7', true],
      ['192.0.2.7', '192.0.2.8', false],
      ['2001:db8::/32', '2001:db8:1::9', true],
      ['2001:db8::/32', '2001:db9::1', false],
      ['2001:db8::1', '2001:DB8:0:0::1', true],
      ['10.0.0.0/8', '::ffff:10.1.2.3', true],
      ['10.0.0.0/8', '::ffff:11.1.2.3', false],
      ['::ffff:192.0.2.0/120', '192.0.2.99', true],
      ['127.0.0.1', '::1', false],
    ])('with allowedIps [%s], %s is allowed: %p', (rule, clientIp, allowed) => {
      const { token } = createKey(index, { allowedIps: [rule] });
      const outcome = authorize(index, request(token, { clientIp }));
      if (allowed) expect(outcome.ok).toBe(true);
      else expectFailure(outcome, 403, 'ip_not_allowed');
    });

    it('answers 403 ip_not_allowed when the address is unknown and the key has an IP list', () => {
      const { token } = createKey(index, { allowedIps: ['0.0.0.0/0'] });
      expectFailure(authorize(index, request(token, { clientIp: undefined })), 403, 'ip_not_allowed');
      expectFailure(authorize(index, request(token, { clientIp: 'garbage' })), 403, 'ip_not_allowed');
    });

    it('grants any address, even an unknown one, to a key without an IP list', () => {
      const { token } = createKey(index, { allowedIps: [] });
      expect(authorize(index, request(token, { clientIp: undefined })).ok).toBe(true);
      expect(authorize(index, request(token, { clientIp: '2001:db8::1' })).ok).toBe(true);
    });

    it('follows a changed IP list', () => {
      const { token, stream } = createKey(index, { allowedIps: ['10.0.0.0/8'] });
      stream.emit('KeyAllowedIpsChanged', { by: 'admin', allowedIps: ['203.0.113.0/24'] });
      expect(authorize(index, request(token, { clientIp: '203.0.113.5' })).ok).toBe(true);
      expectFailure(authorize(index, request(token, { clientIp: '10.0.0.1' })), 403, 'ip_not_allowed');
    });

    it('checks the address before the permission', () => {
      const { token } = createKey(index, { allowedIps: ['10.0.0.1'] });
      expectFailure(authorize(index, request(token, { clientIp: '10.0.0.2', permission: 'keys:manage' })), 403, 'ip_not_allowed');
    });
  });

  describe('permission', () => {
    it('answers 403 permission_denied, naming the permission, when the key lacks it', () => {
      const { token } = createKey(index, { permissions: ['devices:read'] });
      const outcome = authorize(index, request(token, { permission: 'devices:write' }));
      expectFailure(outcome, 403, 'permission_denied');
      expect(outcome.ok === false && outcome.detail).toContain("'devices:write'");
    });

    it('follows changed permissions', () => {
      const { token, stream } = createKey(index, { permissions: ['devices:read'] });
      stream.emit('KeyPermissionsChanged', { by: 'admin', permissions: ['devices:write'] });
      expect(authorize(index, request(token, { permission: 'devices:write' })).ok).toBe(true);
      expectFailure(authorize(index, request(token, { permission: 'devices:read' })), 403, 'permission_denied');
    });

    it('answers 403 public_key_not_allowed for a public key on a private operation', () => {
      const { token } = createKey(index, { kind: 'public', permissions: ['sessions:create'] });
      expectFailure(authorize(index, request(token, { permission: 'sessions:read' })), 403, 'public_key_not_allowed');
    });

    it('answers public_key_not_allowed even if a public key somehow holds the private permission', () => {
      const { token } = createKey(index, { kind: 'public', permissions: ['devices:read'] });
      expectFailure(authorize(index, request(token, { permission: 'devices:read' })), 403, 'public_key_not_allowed');
    });

    it('grants a public key a public-safe operation it holds, and refuses one it does not', () => {
      const { token } = createKey(index, { kind: 'public', permissions: ['sessions:create'] });
      expect(authorize(index, request(token, { permission: 'sessions:create' })).ok).toBe(true);
      expectFailure(authorize(index, request(token, { permission: 'tickets:create' })), 403, 'permission_denied');
    });

    it('refuses a permission outside the catalog instead of throwing', () => {
      const { token } = createKey(index);
      const outcome = authorize(index, request(token, { permission: 'devices:delete' as Permission }));
      expectFailure(outcome, 403, 'permission_denied');
    });
  });

  it('shares one frozen object per failure', () => {
    const first = authorize(index, request(undefined));
    expect(authorize(index, request(''))).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
  });
});
