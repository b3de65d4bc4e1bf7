/**
 * A bounded load for fault tests: a fixed number of requests at a fixed rate (open loop, so a
 * slow service meets the same arrivals a real one would), never more than `maxInFlight` at once,
 * each recorded with what it asked, when, how long the answer took, the status and problem code,
 * and the account and resource id the answer named.
 */
import { Agent, request as send } from 'undici';

/**
 * One keep-alive agent for every load. undici's request(), not fetch(): under a load of a few
 * hundred requests a second fetch's WHATWG streams and Response objects cost the generator about
 * a fifth of a core on a two-core machine (measured in the overload fault spec: the Jest process
 * at 22 % CPU), CPU the platform under test then lacks and latency the results then include.
 */
const agent = new Agent({ keepAliveTimeout: 10_000, connections: 512 });

export interface LoadRequest {
  /** What the request stands for in the counts ("create key", "read technicians", ...). */
  readonly label: string;
  readonly baseUrl: string;
  readonly method: string;
  readonly path: string;
  readonly secret?: string;
  readonly body?: unknown;
}

export interface LoadResult {
  readonly index: number;
  readonly label: string;
  readonly method: string;
  readonly path: string;
  /** Epoch ms at which the request was sent. */
  readonly sentAt: number;
  readonly latencyMs: number;
  /** 0 when no answer came (connection refused, reset, or the client timeout). */
  readonly status: number;
  readonly code: string | undefined;
  /** A problem answer's `detail`: which part refused, and why (what a failing spec prints). */
  readonly detail?: string;
  /** The account the answer names (`accountId`, or `key.accountId` for a key), if any. */
  readonly accountId: string | undefined;
  /** The id of what a write created (`id`, or `key.id` for a key), if any. */
  readonly id: string | undefined;
  /** Why no answer came. */
  readonly error: string | undefined;
}

export interface LoadOptions {
  readonly count: number;
  readonly ratePerSecond: number;
  /** Requests beyond this many unanswered ones wait for a slot (default 200). */
  readonly maxInFlight?: number;
  /** A request unanswered after this long is recorded as status 0 (default 20 s). */
  readonly timeoutMs?: number;
  readonly request: (index: number) => LoadRequest;
}

export interface Load {
  /** Resolves with every result once the last request has been answered or has timed out. */
  readonly done: Promise<LoadResult[]>;
  /** Epoch ms of the first request's due time (for timings relative to the load). */
  readonly startedAt: number;
  /** What has been answered so far. */
  results(): readonly LoadResult[];
  /** How many requests are on the wire now. */
  inFlight(): number;
}

/** Starts a bounded load; await `done` for the results. */
export function startLoad({ count, ratePerSecond, maxInFlight = 200, timeoutMs = 20_000, request }: LoadOptions): Load {
  const results: LoadResult[] = [];
  let inFlight = 0;
  const slotFreed: (() => void)[] = [];
  const started = Date.now();
  const intervalMs = 1000 / ratePerSecond;

  async function one(index: number): Promise<void> {
    const req = request(index);
    const sentAt = Date.now();
    let status = 0;
    let code: string | undefined;
    let detail: string | undefined;
    let accountId: string | undefined;
    let id: string | undefined;
    let error: string | undefined;
    try {
      const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
      const res = await send(`${req.baseUrl}${req.path}`, {
        dispatcher: agent,
        method: req.method,
        headers: {
          ...(req.secret !== undefined ? { authorization: `Bearer ${req.secret}` } : {}),
          ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(payload !== undefined ? { body: payload } : {}),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      status = res.statusCode;
      const record = asRecord(safeJson(await res.body.text()));
      if (status >= 400 && typeof record['code'] === 'string') code = record['code'];
      if (status >= 400 && typeof record['detail'] === 'string') detail = record['detail'];
      const key = asRecord(record['key']);
      accountId = stringOf(record['accountId']) ?? stringOf(key['accountId']);
      id = stringOf(key['id']) ?? stringOf(record['id']);
    } catch (e) {
      error = e instanceof Error ? `${e.name}: ${e.message}${e.cause instanceof Error ? ` (${e.cause.message})` : ''}` : String(e);
    }
    results.push({ index, label: req.label, method: req.method, path: req.path, sentAt, latencyMs: Date.now() - sentAt, status, code, ...(detail !== undefined ? { detail } : {}), accountId, id, error });
  }

  const pending: Promise<void>[] = [];
  const done = (async () => {
    for (let i = 0; i < count; i++) {
      const due = started + i * intervalMs;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      while (inFlight >= maxInFlight) await new Promise<void>((r) => slotFreed.push(r));
      inFlight++;
      pending.push(one(i).finally(() => {
        inFlight--;
        slotFreed.shift()?.();
      }));
    }
    await Promise.all(pending);
    return [...results].sort((a, b) => a.index - b.index);
  })();
  return { done, startedAt: started, results: () => results, inFlight: () => inFlight };
}

/** The q-quantile (0..1) of some numbers, nearest rank; 0 for none. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? 0;
}

/** Counts of results by `label status[ code]`, for assertions and failure messages. */
export function outcomeCounts(results: readonly LoadResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) {
    const key = `${r.label} ${r.status === 0 ? `no answer (${r.error ?? '?'})` : r.status}${r.code ? ` ${r.code}` : ''}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

function safeJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    return {};
  }
}

function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function stringOf(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
