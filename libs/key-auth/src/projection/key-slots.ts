import type { RateBucket } from '../authorize/key-rate-limiter';
import type { UsageBucket } from '../usage/usage-recorder';

/**
 * What this process's request path keeps per key while the key is in use: the rate limiter's
 * bucket and the usage recorder's bucket of the current minute. Two fields of the key's index
 * entry (IndexedKey implements this), so a request reaches them through the entry authorize() has
 * already found instead of through a Map lookup each. Measured in tools/bench `authz-browser`
 * (browser-key check against the plain one, 100k keys, 5,000 in use, loaded machine): two Maps
 * 0.75-0.80x; the buckets behind one slots object on the entry 0.80x; the two fields 0.85x. The
 * fields cost every entry 8 bytes; a bucket is made on a key's first use, carried to the entry
 * that replaces it on every event of the same key, and goes with the entry. Each bucket names its
 * owner: a second limiter or recorder over the same index keeps its buckets in its own Map.
 */
export interface KeySlots {
  rate: RateBucket | undefined;
  usage: UsageBucket | undefined;
}
