/**
 * The one definition of "one year" for key expiry: the same calendar date and time of day one
 * year later, in UTC. A date that does not exist next year (29 February) becomes the last day of
 * that month (28 February), so "one year" never reaches into March.
 */
export function addOneYear(from: Date): Date {
  const y = from.getUTCFullYear() + 1;
  const m = from.getUTCMonth();
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  const d = Math.min(from.getUTCDate(), lastDay);
  return new Date(Date.UTC(y, m, d, from.getUTCHours(), from.getUTCMinutes(), from.getUTCSeconds(), from.getUTCMilliseconds()));
}

/** The latest expiry a key may be given at `now`: one year ahead, inclusive. */
export function maxExpiryAt(now: Date): Date {
  return addOneYear(now);
}
