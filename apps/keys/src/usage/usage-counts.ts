import type { UsageCount } from '@keyward/contracts';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;

/** The start of the UTC period of `lengthMs` (a minute, an hour, a day) that holds `ms`. */
export function startOf(ms: number, lengthMs: number): number {
  return ms - (((ms % lengthMs) + lengthMs) % lengthMs);
}

/** Several count lists summed per (operation, outcome), sorted by operation then outcome. */
export function addCounts(lists: readonly (readonly UsageCount[])[]): UsageCount[] {
  const sums = new Map<string, UsageCount>();
  for (const list of lists) {
    for (const c of list) {
      const k = `${c.operation}\n${c.outcome}`;
      const known = sums.get(k);
      sums.set(k, { operation: c.operation, outcome: c.outcome, count: (known?.count ?? 0) + c.count });
    }
  }
  return [...sums.values()].sort((a, b) => (a.operation === b.operation ? cmp(a.outcome, b.outcome) : cmp(a.operation, b.operation)));
}

export function sameCounts(a: readonly UsageCount[], b: readonly UsageCount[]): boolean {
  const x = addCounts([a]);
  const y = addCounts([b]);
  return x.length === y.length && x.every((c, i) => c.operation === y[i]?.operation && c.outcome === y[i]?.outcome && c.count === y[i]?.count);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
