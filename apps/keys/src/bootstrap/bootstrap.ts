import { ALL_PERMISSIONS, displayPrefix, generateToken, hashToken } from '@keyward/contracts';
import { ProblemError } from '@keyward/problem';
import type { KeyAggregates } from '../application/api-key.aggregate';

export const ACCOUNT_ID_PATTERN = /^acc_[A-Za-z0-9_]{1,40}$/;

export type BootstrapResult =
  | { created: true; accountId: string; keyId: string; tokenPrefix: string; secret: string }
  | { created: false; accountId: string; keyId: string; tokenPrefix: string };

/** The first admin key of an account has a fixed id, so bootstrapping twice finds it instead of making another. */
export function bootstrapKeyId(accountId: string): string {
  return `key_bootstrap_${accountId.slice('acc_'.length)}`;
}

/**
 * Creates the account's first admin key (private, every permission in the catalog), or reports
 * the one that exists. The secret is in the result only when the key was created just now.
 */
export async function bootstrapAdminKey(aggregates: KeyAggregates, accountId: string, name: string): Promise<BootstrapResult> {
  if (!ACCOUNT_ID_PATTERN.test(accountId)) throw new Error(`account id "${accountId}" must look like acc_ followed by 1 to 40 letters, digits or underscores`);
  const keyId = bootstrapKeyId(accountId);
  const existing = await aggregates.load(keyId);
  if (existing.state !== null) return { created: false, accountId, keyId, tokenPrefix: existing.state.tokenPrefix };
  const secret = generateToken('private');
  try {
    await aggregates.execute(keyId, accountId, {
      type: 'CreateKey',
      data: {
        keyId, accountId, kind: 'private', name, permissions: ALL_PERMISSIONS, allowedIps: [], by: 'bootstrap',
        // The platform itself creates the first key: it may grant the whole catalog.
        callerPermissions: ALL_PERMISSIONS,
        secretHash: hashToken(secret), tokenPrefix: displayPrefix(secret),
      },
    });
  } catch (e) {
    // A concurrent bootstrap created it first: report that one.
    if (!(e instanceof ProblemError && e.code === 'concurrent_modification')) throw e;
    const raced = await aggregates.load(keyId);
    if (raced.state === null) throw e;
    return { created: false, accountId, keyId, tokenPrefix: raced.state.tokenPrefix };
  }
  return { created: true, accountId, keyId, tokenPrefix: displayPrefix(secret), secret };
}
