import type { ITopicConfig } from 'kafkajs';

/**
 * A relay's freshness watermark: "everything appended to the store until `publishedUntil` is on
 * `topic`, at offsets below `offsets`". The keys relay publishes one at least every second while
 * it holds its lease; a key projection counts as current only while the newest watermark whose
 * offsets it has consumed is younger than its staleness bound (docs/consumers.md).
 *
 * Watermarks live on their own topic, `<topic>.watermarks` (one partition, compacted, keyed by
 * the source topic), so the event topic that rebuilds and replays read stays events only, and
 * the watermark topic keeps only its latest message once compacted.
 */
export interface Watermark {
  /** The event topic the watermark is about. */
  readonly topic: string;
  /** Real time (ms since the epoch) of the outbox read that found everything before it published. */
  readonly publishedUntilMs: number;
  /** Per partition of `topic`, the end offset once that was published (a consumer must have read up to it). */
  readonly offsets: ReadonlyMap<number, bigint>;
}

export const WATERMARK_TOPIC_SUFFIX = '.watermarks';

/** The watermark topic of an event topic. */
export function watermarkTopicOf(topic: string): string {
  return `${topic}${WATERMARK_TOPIC_SUFFIX}`;
}

/**
 * One partition (one writer, read in order), compacted: the latest watermark is kept forever and
 * the rest is cleaned once a segment rolls (hourly), so the topic never grows with time.
 */
export function watermarkTopic(topic: string): ITopicConfig {
  return {
    topic: watermarkTopicOf(topic),
    numPartitions: 1,
    replicationFactor: -1,
    configEntries: [
      { name: 'cleanup.policy', value: 'compact' },
      { name: 'segment.ms', value: String(60 * 60 * 1000) },
      { name: 'min.cleanable.dirty.ratio', value: '0.1' },
    ],
  };
}

interface WatermarkJson {
  topic: string;
  publishedUntil: string;
  offsets: Record<string, string>;
}

/** The message value of a watermark (JSON; offsets as decimal strings, they are 64-bit). */
export function encodeWatermark(w: Watermark): string {
  const json: WatermarkJson = {
    topic: w.topic,
    publishedUntil: new Date(w.publishedUntilMs).toISOString(),
    offsets: Object.fromEntries([...w.offsets].map(([p, o]) => [String(p), o.toString()])),
  };
  return JSON.stringify(json);
}

/** A watermark message of `topic`, or undefined when the value is not one (it is then ignored). */
export function parseWatermark(value: Buffer | null, topic: string): Watermark | undefined {
  if (value === null) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(value.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { topic: t, publishedUntil, offsets } = raw as Partial<Record<keyof WatermarkJson, unknown>>;
  if (t !== topic || typeof publishedUntil !== 'string' || typeof offsets !== 'object' || offsets === null) return undefined;
  const at = Date.parse(publishedUntil);
  if (!Number.isFinite(at)) return undefined;
  const parsed = new Map<number, bigint>();
  for (const [p, o] of Object.entries(offsets)) {
    if (!/^\d{1,9}$/.test(p) || typeof o !== 'string' || !/^\d{1,19}$/.test(o)) return undefined;
    parsed.set(Number(p), BigInt(o));
  }
  return { topic, publishedUntilMs: at, offsets: parsed };
}
