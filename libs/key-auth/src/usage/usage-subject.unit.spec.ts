import { randomUUID } from 'node:crypto';
import type { KeyEventEnvelope } from '@keyward/contracts';
import { generateToken, hashToken } from '@keyward/contracts';
import { authorize } from '../authorize/authorize';
import { KeyIndex } from '../projection/key-index';
import { usageSubjectOf } from './usage-subject';

const T0 = Date.parse('2026-12-01T12:00:00.000Z');

function created(index: KeyIndex, keyId: string, token: string): void {
  const event = {
    id: randomUUID(), type: 'KeyCreated', schemaVersion: 1, aggregateId: keyId, accountId: 'acc_1', version: 1, occurredAt: new Date(T0).toISOString(),
    data: { kind: 'private', name: 'k', permissions: ['devices:read'], allowedIps: [], expiresAt: new Date(T0 + 86_400_000).toISOString(), createdBy: 'bootstrap', secretHash: hashToken(token), tokenPrefix: token.slice(0, 12) },
  } as KeyEventEnvelope;
  expect(index.apply(event)).toBe('applied');
}

describe('usageSubjectOf', () => {
  const index = new KeyIndex();
  const token = generateToken('private');
  created(index, 'key_subject1', token);
  const check = (t: string | undefined, permission: 'devices:read' | 'keys:manage' = 'devices:read') => {
    const request = { token: t, clientIp: '10.0.0.1', permission, nowMs: T0 + 1000, found: undefined };
    return usageSubjectOf(request, authorize(index, request));
  };

  it('names the key of a success and of a refusal of a known key, without hashing again', () => {
    expect(check(token)).toMatchObject({ keyId: 'key_subject1', accountId: 'acc_1' });
    expect(check(token, 'keys:manage')).toEqual({ keyId: 'key_subject1', accountId: 'acc_1' });
  });

  it('names no key for a missing, malformed or unknown token', () => {
    expect(check(token, 'keys:manage')).toBeDefined();
    expect(check(undefined)).toBeUndefined();
    expect(check('kw_sk_not-a-key')).toBeUndefined();
    expect(check(generateToken('private'))).toBeUndefined();
  });
});
