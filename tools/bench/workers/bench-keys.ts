// Keys for the benchmarks, made as the key service makes them: a token from generateToken, its
// hash and prefix, and the KeyCreated envelope the service would publish for it.
import { randomBytes, randomUUID } from 'node:crypto';
import type { KeyEventEnvelope, Permission } from '@keyward/contracts';
import { displayPrefix, generateToken, hashToken } from '@keyward/contracts';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const BENCH_PERMISSIONS: readonly Permission[] = ['devices:read', 'technicians:read', 'sessions:read'];
/** The allow-list of the IP-restricted keys (one in ten); 10.1.2.3 is inside its first range. */
export const BENCH_ALLOWED_IPS: readonly string[] = ['10.0.0.0/8', '192.168.0.0/16', '2001:db8::/32'];

/** `key_` and 20 base62 characters, as the key service makes them (one flat string). */
export function newKeyId(): string {
  const chars = ['key_'];
  for (const b of randomBytes(20)) chars.push(ALPHABET[b % 62] as string);
  return chars.join('');
}

export interface BenchKey {
  readonly token: string;
  readonly envelope: KeyEventEnvelope;
}

export interface BenchKeyOptions {
  readonly permissions?: readonly Permission[];
  readonly ipRestricted?: boolean;
  readonly nowMs?: number;
}

/** The i-th bench key: a private key of one of 5,000 accounts, valid for 364 days. */
export function benchKey(i: number, { permissions = BENCH_PERMISSIONS, ipRestricted = false, nowMs = Date.now() }: BenchKeyOptions = {}): BenchKey {
  const token = generateToken('private');
  const envelope: KeyEventEnvelope = {
    id: randomUUID(),
    type: 'KeyCreated',
    schemaVersion: 1,
    aggregateId: newKeyId(),
    accountId: `acc_${(i % 5000).toString(36).padStart(8, '0')}`,
    version: 1,
    occurredAt: new Date(nowMs - (i % 86_400) * 1000).toISOString(),
    data: {
      kind: 'private',
      name: `bench key ${i}`,
      permissions: [...permissions],
      allowedIps: ipRestricted ? [...BENCH_ALLOWED_IPS] : [],
      expiresAt: new Date(nowMs + 364 * 86_400_000).toISOString(),
      createdBy: 'key_bootstrap_benchmark',
      secretHash: hashToken(token),
      tokenPrefix: displayPrefix(token),
    },
  };
  return { token, envelope };
}
