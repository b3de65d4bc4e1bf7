import { ALL_PERMISSIONS, hashToken, PUBLIC_KEY_DEFAULT_RATE_LIMIT } from '@keyward/contracts';
import type { KeyEvent, KeyEventEnvelope, KeyKind, Permission } from '@keyward/contracts';
import type { ApiKeyCommand, CreateKey } from './api-key.commands';
import { decide } from './api-key.decide';
import type { ApiKeyAggregate, ApiKeyState } from './api-key.state';
import { evolve } from './api-key.state';
import { KeyRuleViolation } from './key-rule-violation';

// Given a key, when a command, then these events (or this refusal): allowed origins and rate limits.
const NOW = new Date('2027-06-15T10:00:00.000Z');
const caller = { by: 'key_admin', callerPermissions: ALL_PERMISSIONS };

function create(kind: KeyKind, extra: Partial<CreateKey['data']> = {}): CreateKey {
  return {
    type: 'CreateKey',
    data: {
      keyId: 'key_01', accountId: 'acc_01', kind, name: 'Widget', permissions: kind === 'public' ? ['sessions:create'] : ['devices:read'],
      allowedIps: [], ...caller, secretHash: hashToken('t'), tokenPrefix: kind === 'public' ? 'kw_pk_abc123' : 'kw_sk_abc123', ...extra,
    },
  };
}

function fold(state: ApiKeyAggregate, events: readonly KeyEvent[]): ApiKeyState {
  let next = state;
  for (const e of events) {
    const version = (next?.version ?? 0) + 1;
    next = evolve(next, { ...e, id: `evt_${version}`, aggregateId: 'key_01', accountId: 'acc_01', version, occurredAt: NOW.toISOString() } as KeyEventEnvelope);
  }
  if (next === null) throw new Error('no key');
  return next;
}

const given = (command: CreateKey): ApiKeyState => fold(null, decide(command, null, NOW));
const refusal = (command: ApiKeyCommand, state: ApiKeyAggregate): unknown => {
  try {
    decide(command, state, NOW);
  } catch (e) {
    if (e instanceof KeyRuleViolation) return { code: e.code, kind: e.kind };
    throw e;
  }
  return undefined;
};

describe('allowed origins', () => {
  it('records canonical origins on creation (KeyCreated v2), duplicates dropped', () => {
    const [event] = decide(create('public', { allowedOrigins: ['https://Shop.Example.com:443', 'https://*.example.org', 'https://shop.example.com'] }), null, NOW);
    expect(event).toMatchObject({ type: 'KeyCreated', schemaVersion: 2, data: { allowedOrigins: ['https://shop.example.com', 'https://*.example.org'] } });
  });

  it.each([
    ['an entry with a path', ['https://shop.example.com/app'], 'invalid_origin'],
    ['a bare wildcard', ['*'], 'invalid_origin'],
    ['a wildcard over a top-level domain', ['https://*.com'], 'invalid_origin'],
    ['an entry that is not text', [42], 'invalid_origin'],
    ['101 entries', Array.from({ length: 101 }, (_, i) => `https://s${i}.example.com`), 'too_many_allowed_origins'],
  ])('refuses %s', (_what, allowedOrigins, code) => {
    expect(refusal(create('public', { allowedOrigins: allowedOrigins as string[] }), null)).toEqual({ code, kind: 'invalid' });
  });

  it('takes 100 entries', () => {
    const allowedOrigins = Array.from({ length: 100 }, (_, i) => `https://s${i}.example.com`);
    expect(given(create('public', { allowedOrigins })).allowedOrigins).toHaveLength(100);
  });

  it('changes them with KeyAllowedOriginsChanged, and records nothing for the same set', () => {
    const state = given(create('public', { allowedOrigins: ['https://a.example.com'] }));
    const change = (allowedOrigins: string[]): ApiKeyCommand => ({ type: 'ChangeAllowedOrigins', data: { ...caller, allowedOrigins } });
    expect(decide(change(['https://b.example.com']), state, NOW)).toEqual([
      { type: 'KeyAllowedOriginsChanged', schemaVersion: 1, data: { by: 'key_admin', allowedOrigins: ['https://b.example.com'] } },
    ]);
    expect(decide(change(['https://A.example.com']), state, NOW)).toEqual([]);
    expect(fold(state, decide(change([]), state, NOW)).allowedOrigins).toEqual([]);
  });
});

describe('rate limits', () => {
  it('gives a public key the public default and a private key none unless told', () => {
    expect(given(create('public')).rateLimit).toEqual(PUBLIC_KEY_DEFAULT_RATE_LIMIT);
    expect(given(create('private')).rateLimit).toBeNull();
    expect(given(create('private', { rateLimit: { requests: 10, windowSeconds: 1 } })).rateLimit).toEqual({ requests: 10, windowSeconds: 1, burst: 10 });
  });

  it.each([
    ['no limit on a public key', 'public', null, 'rate_limit_required'],
    ['zero requests', 'public', { requests: 0, windowSeconds: 60 }, 'invalid_rate_limit'],
    ['a fractional window', 'private', { requests: 10, windowSeconds: 0.5 }, 'invalid_rate_limit'],
    ['a window over a day', 'private', { requests: 10, windowSeconds: 86_401 }, 'invalid_rate_limit'],
    ['a burst of zero', 'private', { requests: 10, windowSeconds: 60, burst: 0 }, 'invalid_rate_limit'],
  ] as const)('refuses %s', (_what, kind, rateLimit, code) => {
    expect(refusal(create(kind, { rateLimit }), null)).toEqual({ code, kind: 'invalid' });
  });

  it('changes it with KeyRateLimitChanged; a private key may drop it, the same limit records nothing', () => {
    const state = given(create('private'));
    const change = (rateLimit: { requests: number; windowSeconds: number; burst?: number } | null): ApiKeyCommand => ({ type: 'ChangeRateLimit', data: { ...caller, rateLimit } });
    const events = decide(change({ requests: 5, windowSeconds: 60, burst: 2 }), state, NOW);
    expect(events).toEqual([{ type: 'KeyRateLimitChanged', schemaVersion: 1, data: { by: 'key_admin', rateLimit: { requests: 5, windowSeconds: 60, burst: 2 } } }]);
    const limited = fold(state, events);
    expect(decide(change({ requests: 5, windowSeconds: 60, burst: 2 }), limited, NOW)).toEqual([]);
    expect(fold(limited, decide(change(null), limited, NOW)).rateLimit).toBeNull();
  });
});

describe('the escalation rule on the new commands', () => {
  const weak: readonly Permission[] = ['keys:manage', 'keys:read'];

  it.each([
    ['ChangeAllowedOrigins', { allowedOrigins: [] }],
    ['ChangeRateLimit', { rateLimit: null }],
  ] as const)('refuses %s on a key stronger than the caller, before anything else', (type, data) => {
    const strong = given(create('private', { permissions: ['devices:read', 'keys:manage', 'keys:read'] }));
    const command = { type, data: { by: 'key_weak', callerPermissions: weak, ...data } } as ApiKeyCommand;
    expect(refusal(command, strong)).toEqual({ code: 'permission_escalation', kind: 'forbidden' });
  });

  it('refuses either on a revoked key', () => {
    const state = fold(given(create('public')), [{ type: 'KeyRevoked', schemaVersion: 1, data: { by: 'key_admin' } }]);
    expect(refusal({ type: 'ChangeAllowedOrigins', data: { ...caller, allowedOrigins: ['https://a.example.com'] } }, state)).toEqual({ code: 'key_revoked', kind: 'conflict' });
    expect(refusal({ type: 'ChangeRateLimit', data: { ...caller, rateLimit: { requests: 1, windowSeconds: 1 } } }, state)).toEqual({ code: 'key_revoked', kind: 'conflict' });
  });
});
