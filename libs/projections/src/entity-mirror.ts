import type { EventEnvelope } from '@keyward/contracts';
import type { ProjectionIndex } from './indexed-projection';

/** What a service keeps of another service's entity: enough to check a reference. */
export interface MirrorView {
  readonly id: string;
  readonly accountId: string;
  readonly version: number;
}

/** Folds one event into what is kept of its entity (undefined: nothing kept); never throws. */
export type MirrorEvolve<V extends MirrorView> = (view: V | undefined, event: EventEnvelope) => Omit<V, 'version'> | undefined;

/**
 * Another service's entities as this service needs them (a technician's `active`, a device's
 * `removed`), folded from that service's events, each applied once by version. An event for an
 * entity whose creation was not seen (a gap) is reported and folded as far as `evolve` can.
 */
export class EntityMirror<V extends MirrorView> implements ProjectionIndex<V> {
  private readonly byId = new Map<string, V>();

  constructor(private readonly evolve: MirrorEvolve<V>) {}

  get size(): number {
    return this.byId.size;
  }

  apply(event: EventEnvelope): 'applied' | 'duplicate' | 'gap' {
    const current = this.byId.get(event.aggregateId);
    const seen = current?.version ?? 0;
    if (event.version <= seen) return 'duplicate';
    const next = this.evolve(current, event);
    if (next) this.byId.set(event.aggregateId, { ...next, version: event.version } as V);
    return event.version === seen + 1 ? 'applied' : 'gap';
  }

  get(id: string): V | undefined {
    return this.byId.get(id);
  }

  /** The entity when it belongs to the account; another account's entity does not exist for it. */
  find(accountId: string, id: string): V | undefined {
    const v = this.byId.get(id);
    return v && v.accountId === accountId ? v : undefined;
  }

  snapshot(): V[] {
    return [...this.byId.values()];
  }

  load(views: readonly V[]): void {
    this.byId.clear();
    this.loadMore(views);
  }

  loadMore(views: readonly V[]): void {
    for (const v of views) this.byId.set(v.id, v);
  }
}
