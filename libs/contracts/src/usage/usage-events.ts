import type { EventEnvelope } from '../events/event-envelope';

/**
 * Usage of API keys, published on `keys.usage` (key = key id) by the edge and every service, and
 * projected by the keys service (GET /v1/keys/{id}/usage, a key's `lastUsedAt`). See docs/usage.md.
 *
 * One event is one source's running total for one key and one minute: `source` names the process
 * (service, instance and a per-start boot id), the envelope's `version` is that source's report
 * number for that key and minute, and `counts` are cumulative within the minute. So a consumer
 * keeps, per (key, minute, source), the report with the highest version: a duplicate or a replay
 * changes nothing, a later report replaces an earlier one, and a restarted process is a new source
 * whose counts add to those its previous run reported. Never a secret: key ids only.
 */
export const USAGE_TOPIC = 'keys.usage';

/** Length of a usage window: counts are aggregated per key per minute. */
export const USAGE_WINDOW_MS = 60_000;

/** `ok`, or the problem code the caller was answered (`key_disabled`, `permission_denied`, `too_many_auth_failures`, ...). */
export type UsageOutcome = string;

export interface UsageCount {
  /** The route id from the RouteTable (`GET /v1/keys/:keyId`). */
  readonly operation: string;
  readonly outcome: UsageOutcome;
  readonly count: number;
}

export interface KeyUsageRecordedData {
  /** Start of the minute, ISO-8601 UTC (`2026-12-01T12:34:00.000Z`). */
  readonly window: string;
  /** `<service>/<instanceId>/<bootId>`: one per process start. */
  readonly source: string;
  readonly service: string;
  readonly instance: string;
  /** Cumulative within the window for this source; each (operation, outcome) at most once. */
  readonly counts: readonly UsageCount[];
  /** The last request of the window from this source: when, which operation, from which client address. */
  readonly lastUsedAt: string;
  readonly lastOperation: string;
  readonly lastAddress: string | null;
}

export interface UsageEventDataByType {
  KeyUsageRecorded: KeyUsageRecordedData;
}

export type KeyUsageRecordedEnvelope = EventEnvelope<'KeyUsageRecorded', KeyUsageRecordedData>;

/** Where a usage window starts (ms since the epoch). */
export function usageWindowStart(nowMs: number): number {
  return nowMs - (((nowMs % USAGE_WINDOW_MS) + USAGE_WINDOW_MS) % USAGE_WINDOW_MS);
}
