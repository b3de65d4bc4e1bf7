import type { KeyEventEnvelope } from '@keyward/contracts';
import { digestOfTokenHash } from '@keyward/contracts';
import { evolveKeyView } from './evolve-key-view';
import type { IndexedKey } from './indexed-key';
import { indexKey, KeyProfiles } from './indexed-key';
import type { KeyView } from './key-view';

/**
 * What `apply` did with an event: folded it in, ignored it as already seen, or folded it in
 * although at least one earlier event of that key never arrived.
 */
export type ApplyResult = 'applied' | 'duplicate' | 'gap';

/**
 * The in-memory projection of every key of every account, looked up by token digest on every
 * request and by id for everything else. Entries are lean (see IndexedKey): views are rebuilt
 * on demand, not held.
 */
export class KeyIndex {
  private readonly byId = new Map<string, IndexedKey>();
  /** By `tokenDigest` of the current secret. */
  private readonly byCurrentHash = new Map<string, IndexedKey>();
  /** Secrets replaced by a rotation; each matches only while its key's grace lasts. */
  private readonly byPreviousHash = new Map<string, IndexedKey>();
  private profiles = new KeyProfiles();

  get size(): number {
    return this.byId.size;
  }

  /**
   * Applies each event once, by the key's `version`. An event at or below the current version is
   * a duplicate (Kafka delivers at least once) and changes nothing.
   *
   * An event more than one version ahead means one was lost. It is applied anyway and reported
   * as 'gap' for the caller to log and count: holding it back until the missing event shows up
   * would mean that a revocation or a disable behind the hole never takes effect, and Kafka's
   * per-key order says the missing event is not coming later. A gap on a key this index has never
   * seen created has nothing to apply to; the key stays unknown, so its token is refused anyway.
   */
  apply(event: KeyEventEnvelope): ApplyResult {
    const current = this.byId.get(event.aggregateId);
    const currentVersion = current?.version ?? 0;
    if (event.version <= currentVersion) return 'duplicate';
    const result: ApplyResult = event.version === currentVersion + 1 ? 'applied' : 'gap';
    const view = evolveKeyView(current?.view, event);
    if (view !== undefined) this.put(indexKey(view, current, this.profiles), current);
    return result;
  }

  get(keyId: string): KeyView | undefined {
    return this.byId.get(keyId)?.view;
  }

  /** The key's precomputed entry, for callers that need more than the view. */
  entry(keyId: string): IndexedKey | undefined {
    return this.byId.get(keyId);
  }

  /** `findByDigest` for a token hash in its stored (`hashToken`, hex) form. */
  findByTokenHash(tokenHash: string, nowMs: number): IndexedKey | undefined {
    return this.findByDigest(digestOfTokenHash(tokenHash) ?? tokenHash, nowMs);
  }

  /**
   * The key a token digest (`tokenDigest`) belongs to: its current secret, or its previous one
   * while `nowMs` is before the grace end. A previous secret found past its grace is dropped from
   * the index here, lazily, rather than by a timer.
   */
  findByDigest(digest: string, nowMs: number): IndexedKey | undefined {
    const current = this.byCurrentHash.get(digest);
    if (current !== undefined) return current;
    const previous = this.byPreviousHash.get(digest);
    if (previous === undefined) return undefined;
    if (nowMs < previous.graceUntilMs) return previous;
    this.byPreviousHash.delete(digest);
    return undefined;
  }

  /** Every view, for persisting; `load` takes the same array back. */
  snapshot(): KeyView[] {
    const views: KeyView[] = [];
    for (const entry of this.byId.values()) views.push(entry.view);
    return views;
  }

  /** Replaces the whole index with persisted views (the precomputed parts are rebuilt). */
  load(views: readonly KeyView[]): void {
    this.byId.clear();
    this.byCurrentHash.clear();
    this.byPreviousHash.clear();
    this.profiles = new KeyProfiles();
    for (const view of views) {
      const previous = this.byId.get(view.id);
      this.put(indexKey(view, previous, this.profiles), previous);
    }
  }

  private put(next: IndexedKey, previous: IndexedKey | undefined): void {
    const previousKey = next.previousKey;
    // A previous secret already dropped for its ended grace stays dropped when a later event
    // (say, a permission change) replaces the entry; a new rotation indexes its own.
    const indexPreviousHash =
      previousKey !== undefined &&
      previousKey !== next.lookupKey &&
      (previous === undefined ||
        previous.previousKey !== previousKey ||
        this.byPreviousHash.get(previousKey) === previous);
    if (previous !== undefined) this.unindex(previous);
    this.byId.set(next.id, next);
    this.byCurrentHash.set(next.lookupKey, next);
    if (indexPreviousHash) this.byPreviousHash.set(previousKey, next);
  }

  /** Removes an entry's hashes, but only where they still point at it. */
  private unindex(entry: IndexedKey): void {
    const { lookupKey, previousKey } = entry;
    if (this.byCurrentHash.get(lookupKey) === entry) this.byCurrentHash.delete(lookupKey);
    if (previousKey !== undefined && this.byPreviousHash.get(previousKey) === entry) {
      this.byPreviousHash.delete(previousKey);
    }
  }
}
