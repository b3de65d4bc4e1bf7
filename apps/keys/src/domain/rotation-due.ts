import type { ApiKeyState } from './api-key.state';

export const ROTATION_PERIOD_DAYS_DEFAULT = 90;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Whether a private key's current secret is older than the rotation period. Public keys are
 * exempt (they are not secret), and so are revoked keys (there is nothing left to rotate).
 * Takes only the fields it reads, so projections' views can use it too.
 */
export function rotationDue(
  state: Pick<ApiKeyState, 'kind' | 'status' | 'createdAt' | 'lastRotatedAt'>,
  now: Date,
  rotationPeriodDays: number = ROTATION_PERIOD_DAYS_DEFAULT,
): boolean {
  if (!(rotationPeriodDays > 0) || !Number.isFinite(rotationPeriodDays)) {
    throw new RangeError(`rotationPeriodDays must be a positive number, got ${rotationPeriodDays}`);
  }
  if (state.kind !== 'private' || state.status === 'revoked') return false;
  const since = Date.parse(state.lastRotatedAt ?? state.createdAt);
  return now.getTime() - since > rotationPeriodDays * DAY_MS;
}
