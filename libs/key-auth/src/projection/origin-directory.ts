import type { OriginAllowList } from '@keyward/contracts';
import { compileOriginList } from '@keyward/contracts';

/**
 * Every origin some key of the index allows, for CORS preflights: a browser sends its preflight
 * without the key (no Authorization, no X-API-Key), so the edge can only ask whether any key allows
 * the page's origin. Counted per canonical entry (keys share entries: the widget's site is listed
 * by each of its keys), so the cost grows with distinct origins, not with keys. A revoked key's
 * origins no longer count. The compiled list is rebuilt on the first preflight after a change.
 */
export class OriginDirectory {
  private readonly counts = new Map<string, number>();
  private compiled: OriginAllowList | undefined;

  /** Replaces one key's entries (`before` and `after` are what the key allowed then and now). */
  swap(before: readonly string[] | undefined, after: readonly string[] | undefined): void {
    if (before === after) return;
    if (before !== undefined) {
      for (const entry of before) {
        const n = (this.counts.get(entry) ?? 0) - 1;
        if (n > 0) this.counts.set(entry, n);
        else this.counts.delete(entry);
      }
    }
    if (after !== undefined) for (const entry of after) this.counts.set(entry, (this.counts.get(entry) ?? 0) + 1);
    if ((before?.length ?? 0) > 0 || (after?.length ?? 0) > 0) this.compiled = undefined;
  }

  clear(): void {
    this.counts.clear();
    this.compiled = undefined;
  }

  /** Whether at least one key that is not revoked allows `origin`. */
  allows(origin: string): boolean {
    if (this.counts.size === 0) return false;
    this.compiled ??= compileOriginList([...this.counts.keys()]);
    return this.compiled.allows(origin);
  }
}
