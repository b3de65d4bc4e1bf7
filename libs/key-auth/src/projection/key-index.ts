import type { KeyEventEnvelope, KeyEventType } from '@keyward/contracts';
import { digestOfTokenHash } from '@keyward/contracts';
import { evolveKeyView } from './evolve-key-view';
import type { IndexedKey } from './indexed-key';
import { indexKey, KeyProfiles } from './indexed-key';
import type { KeyView } from './key-view';
import { OriginDirectory } from './origin-directory';

/**
 * What `apply` did with an event: folded it in, ignored it as already seen, folded it in although
 * at least one earlier event of that key never arrived, or refused it across such a gap.
 */
export type ApplyResult = 'applied' | 'duplicate' | 'gap' | 'quarantined';

/** Events that can only take access away: applied even across a version gap (see `apply`). */
const TAKES_ACCESS_AWAY: ReadonlySet<KeyEventType> = new Set<KeyEventType>(['KeyRevoked', 'KeyDisabled', 'KeyExpired']);

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
  /** Origins some key allows: what a CORS preflight (which carries no key) is answered from. */
  readonly origins = new OriginDirectory();

  get size(): number {
    return this.byId.size;
  }

  /**
   * Applies each event once, by the key's `version`. An event at or below the current version is
   * a duplicate (Kafka delivers at least once) and changes nothing.
   *
   * An event more than one version ahead (a gap: one was lost, or the message was forged) never
   * moves the key's version, so the real events after the current one still apply when they come
   * and none of them is mistaken for a duplicate. What it does depends on its effect:
   * - one that only takes access away (KeyRevoked, KeyDisabled, KeyExpired) takes effect at once
   *   and is reported as 'gap': a revocation or a disable behind a hole must not wait for it;
   * - any other (it could grant access: an enable, a rotation, a permission or address change, a
   *   creation) is not applied: 'quarantined', and the consumer writes it to the dead letters for
   *   an operator to look at.
   * A gap on a key this index has never seen created has nothing to apply to; the key stays
   * unknown, so its token is refused anyway.
   */
  apply(event: KeyEventEnvelope): ApplyResult {
    const current = this.byId.get(event.aggregateId);
    const currentVersion = current?.version ?? 0;
    if (event.version <= currentVersion) return 'duplicate';
    if (event.version === currentVersion + 1) {
      const view = evolveKeyView(current?.view, event);
      if (view !== undefined) this.put(indexKey(view, current, this.profiles), current);
      return 'applied';
    }
    if (!TAKES_ACCESS_AWAY.has(event.type)) return 'quarantined';
    const view = evolveKeyView(current?.view, { ...event, version: currentVersion });
    if (view !== undefined) this.put(indexKey(view, current, this.profiles), current);
    return 'gap';
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

  /**
   * The entries as they are now, for a snapshot written in the background: what an entry's view
   * holds never changes in place (a change puts a new entry; only the request path's slots,
   * key-slots.ts, change in place), so copying the references is a consistent cut, and
   * the views are rebuilt a slice at a time while the index moves on.
   */
  capture(): { readonly size: number; views(start: number, end: number): KeyView[] } {
    const entries = [...this.byId.values()];
    return { size: entries.length, views: (start, end) => entries.slice(start, end).map((e) => e.view) };
  }

  /** Replaces the whole index with persisted views (the precomputed parts are rebuilt). */
  load(views: readonly KeyView[]): void {
    this.byId.clear();
    this.byCurrentHash.clear();
    this.byPreviousHash.clear();
    this.origins.clear();
    this.profiles = new KeyProfiles();
    this.loadMore(views);
  }

  /** Adds persisted views to the index (a snapshot is loaded a slice at a time). */
  loadMore(views: readonly KeyView[]): void {
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
    this.origins.swap(previous === undefined ? undefined : originsOf(previous), originsOf(next));
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

/** The origins a key counts for in the directory: none once it is revoked (it never works again). */
function originsOf(entry: IndexedKey): readonly string[] | undefined {
  return entry.status === 'revoked' ? undefined : entry.profile.allowedOrigins;
}
