import { randomUUID } from 'node:crypto';
import type { KeyCreatedData, KeyKind } from '@keyward/contracts';
import { generateToken, hashToken, PUBLIC_KEY_DEFAULT_RATE_LIMIT } from '@keyward/contracts';
import { KeyIndex } from '../projection/key-index';
import type { AuthRequest } from './auth-outcome';
import { authorize } from './authorize';
import { KeyRateLimiter } from './key-rate-limiter';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');

function key(index: KeyIndex, data: Partial<KeyCreatedData> & { kind?: KeyKind } = {}): { token: string; id: string; emit: (type: 'KeyAllowedOriginsChanged' | 'KeyRevoked', payload: Record<string, unknown>) => void } {
  const kind = data.kind ?? 'public';
  const token = generateToken(kind);
  const id = `key_${randomUUID()}`;
  let version = 1;
  const base = { aggregateId: id, accountId: 'acc_1', occurredAt: new Date(T0).toISOString() };
  index.apply({
    ...base, id: randomUUID(), type: 'KeyCreated', schemaVersion: 2, version,
    data: { kind, name: 'widget', permissions: ['sessions:create', 'tickets:create'], allowedIps: [], expiresAt: new Date(T0 + 86_400_000).toISOString(), createdBy: 'b', secretHash: hashToken(token), tokenPrefix: token.slice(0, 12), ...data },
  });
  return {
    token, id,
    emit: (type, payload) => {
      version += 1;
      // The two event types take these payloads; the test passes them whole.
      index.apply({ ...base, id: randomUUID(), type, schemaVersion: 1, version, data: { by: 'b', ...payload } } as Parameters<KeyIndex['apply']>[0]);
    },
  };
}

const req = (token: string, origin: string | undefined, nowMs = T0): AuthRequest => ({ token, clientIp: '192.0.2.1', origin, permission: 'tickets:create', nowMs, found: undefined });

describe('authorize: allowed origins', () => {
  it('lets a key without allowed origins be used from anywhere, with or without an Origin, as before', () => {
    const index = new KeyIndex();
    const { token } = key(index, { allowedOrigins: [] });
    expect(authorize(index, req(token, 'https://anyone.example')).ok).toBe(true);
    expect(authorize(index, req(token, undefined)).ok).toBe(true);
  });

  it('accepts a listed origin (exact or by wildcard) and refuses any other, and a request without one, 403 origin_not_allowed', () => {
    const index = new KeyIndex();
    const { token } = key(index, { allowedOrigins: ['https://shop.example.com', 'https://*.example.org'] });
    expect(authorize(index, req(token, 'https://shop.example.com')).ok).toBe(true);
    expect(authorize(index, req(token, 'https://eu.example.org')).ok).toBe(true);
    for (const origin of ['https://evil.example', 'http://shop.example.com', 'null', undefined]) {
      expect(authorize(index, req(token, origin))).toMatchObject({ ok: false, status: 403, code: 'origin_not_allowed' });
    }
  });

  it('checks the origin after the key works: a revoked key is 401 whatever its origin', () => {
    const index = new KeyIndex();
    const k = key(index, { allowedOrigins: ['https://shop.example.com'] });
    k.emit('KeyRevoked', {});
    expect(authorize(index, req(k.token, 'https://evil.example'))).toMatchObject({ status: 401, code: 'key_revoked' });
  });

  it('follows KeyAllowedOriginsChanged, and names the key it found for the call site', () => {
    const index = new KeyIndex();
    const k = key(index, { allowedOrigins: ['https://shop.example.com'] });
    k.emit('KeyAllowedOriginsChanged', { allowedOrigins: ['https://new.example.com'] });
    const r = req(k.token, 'https://shop.example.com');
    expect(authorize(index, r)).toMatchObject({ code: 'origin_not_allowed' });
    expect(r.found?.id).toBe(k.id);
    expect(authorize(index, req(k.token, 'https://new.example.com')).ok).toBe(true);
  });

  it('keeps a directory of every origin some live key allows, for preflights', () => {
    const index = new KeyIndex();
    const a = key(index, { allowedOrigins: ['https://shop.example.com'] });
    key(index, { allowedOrigins: ['https://shop.example.com', 'https://*.example.org'] });
    expect(index.origins.allows('https://shop.example.com')).toBe(true);
    expect(index.origins.allows('https://x.example.org')).toBe(true);
    expect(index.origins.allows('https://evil.example')).toBe(false);
    a.emit('KeyRevoked', {});
    expect(index.origins.allows('https://shop.example.com')).toBe(true);
  });

  it('drops a revoked key\'s origins from the directory', () => {
    const index = new KeyIndex();
    const a = key(index, { allowedOrigins: ['https://only.example.com'] });
    expect(index.origins.allows('https://only.example.com')).toBe(true);
    a.emit('KeyRevoked', {});
    expect(index.origins.allows('https://only.example.com')).toBe(false);
  });
});

describe('authorize: rate limits', () => {
  it('refuses 429 rate_limited past the burst, after the origin check and before the permission', () => {
    const index = new KeyIndex();
    const { token } = key(index, { allowedOrigins: ['https://shop.example.com'], rateLimit: { requests: 60, windowSeconds: 60, burst: 3 } });
    const limiter = new KeyRateLimiter();
    const outcomes = Array.from({ length: 5 }, () => authorize(index, req(token, 'https://shop.example.com'), limiter));
    expect(outcomes.map((o) => (o.ok ? 'ok' : o.code))).toEqual(['ok', 'ok', 'ok', 'rate_limited', 'rate_limited']);
    expect(outcomes[3]).toMatchObject({ status: 429 });
    // A refused origin takes no token: the limit is the key's, spent only by its own pages.
    expect(authorize(index, req(token, 'https://evil.example'), limiter)).toMatchObject({ code: 'origin_not_allowed' });
  });

  it('limits a public key recorded before keys had limits by the public default', () => {
    const index = new KeyIndex();
    const { token } = key(index);
    const limiter = new KeyRateLimiter();
    let admitted = 0;
    for (let i = 0; i < 200; i++) if (authorize(index, req(token, undefined), limiter).ok) admitted += 1;
    expect(admitted).toBe(PUBLIC_KEY_DEFAULT_RATE_LIMIT.burst);
  });
});
