import type { UsageCount } from '@keyward/contracts';
import { ProblemError } from '@keyward/problem';
import { addCounts, HOUR_MS, MINUTE_MS, startOf } from './usage-counts';
import type { UsageDayDoc, UsageHourDoc } from './usage.repository';
import { DAY_MS } from './usage.repository';

export type UsageGranularity = 'minute' | 'hour' | 'day';
export const USAGE_GRANULARITIES: readonly UsageGranularity[] = ['minute', 'hour', 'day'];

/** Per granularity: the bucket length, the range when `from` is not given, and the longest range asked at once. */
export const GRANULARITY: Readonly<Record<UsageGranularity, { readonly ms: number; readonly defaultMs: number; readonly maxMs: number }>> = {
  minute: { ms: MINUTE_MS, defaultMs: HOUR_MS, maxMs: DAY_MS },
  hour: { ms: HOUR_MS, defaultMs: DAY_MS, maxMs: 31 * DAY_MS },
  day: { ms: DAY_MS, defaultMs: 30 * DAY_MS, maxMs: 92 * DAY_MS },
};

/** A usage range, aligned to its granularity: `from` inclusive, `to` exclusive. */
export interface UsageRange {
  readonly granularity: UsageGranularity;
  readonly fromMs: number;
  readonly toMs: number;
}

export interface UsageBucket {
  /** Start of the minute, hour or day (UTC). */
  readonly start: string;
  readonly counts: UsageCount[];
}

export interface KeyUsage {
  readonly keyId: string;
  readonly granularity: UsageGranularity;
  readonly from: string;
  readonly to: string;
  /** Every request counted in the range. */
  readonly total: number;
  /** Per (operation, outcome) over the range. */
  readonly totals: UsageCount[];
  /** The periods with any count, oldest first (empty periods are left out). */
  readonly buckets: UsageBucket[];
}

/**
 * The range a query asks for: `from` rounded down and `to` rounded up to the granularity (UTC);
 * `to` defaults to now, `from` to a span before `to` that suits the granularity. A range that is
 * empty or longer than the granularity allows is a 400 with its own code.
 */
export function usageRange(q: { from?: string; to?: string; granularity?: UsageGranularity }, nowMs: number): UsageRange {
  const granularity = q.granularity ?? 'hour';
  const g = GRANULARITY[granularity];
  const rawTo = q.to !== undefined ? Date.parse(q.to) : nowMs;
  const toMs = startOf(rawTo + g.ms - 1, g.ms);
  const fromMs = startOf(q.from !== undefined ? Date.parse(q.from) : toMs - g.defaultMs, g.ms);
  if (!(fromMs < toMs)) {
    throw new ProblemError(400, 'invalid_usage_range', 'Invalid usage range', '`from` must be before `to`');
  }
  if (toMs - fromMs > g.maxMs) {
    throw new ProblemError(400, 'usage_range_too_long', 'Usage range too long',
      `a ${granularity} granularity covers at most ${g.maxMs / HOUR_MS} hours at once; narrow from/to or use a coarser granularity`,
      { maxHours: g.maxMs / HOUR_MS });
  }
  return { granularity, fromMs, toMs };
}

/** The documents a range needs: the hours for minute buckets, the days otherwise. */
export function documentStarts(range: UsageRange): { hours: number[]; days: number[] } {
  const unit = range.granularity === 'minute' ? HOUR_MS : DAY_MS;
  const starts: number[] = [];
  for (let t = startOf(range.fromMs, unit); t < range.toMs; t += unit) starts.push(t);
  return range.granularity === 'minute' ? { hours: starts, days: [] } : { hours: [], days: starts };
}

/** The answer of GET /v1/keys/{id}/usage from the documents of `documentStarts`. */
export function keyUsage(keyId: string, accountId: string, range: UsageRange, hours: readonly UsageHourDoc[], days: readonly UsageDayDoc[]): KeyUsage {
  const g = GRANULARITY[range.granularity];
  const perBucket = new Map<number, UsageCount[][]>();
  const add = (atMs: number, counts: readonly UsageCount[]): void => {
    if (atMs < range.fromMs || atMs >= range.toMs) return;
    const start = startOf(atMs, g.ms);
    perBucket.set(start, [...(perBucket.get(start) ?? []), [...counts]]);
  };
  // The account is checked again per document: a key id of another account never adds a count.
  for (const doc of hours) if (doc.accountId === accountId && doc.keyId === keyId) for (const e of doc.entries) add(e.w, e.c);
  for (const doc of days) if (doc.accountId === accountId && doc.keyId === keyId) for (const h of doc.hours) add(h.h, h.c);
  const buckets = [...perBucket.entries()].sort(([a], [b]) => a - b)
    .map(([start, lists]) => ({ start: new Date(start).toISOString(), counts: addCounts(lists) }));
  const totals = addCounts(buckets.map((b) => b.counts));
  return {
    keyId, granularity: range.granularity, from: new Date(range.fromMs).toISOString(), to: new Date(range.toMs).toISOString(),
    total: totals.reduce((n, c) => n + c.count, 0), totals, buckets,
  };
}
