import type { Collection, Connection, mongo } from 'mongoose';
import { decodeCursor, DEFAULT_PAGE_SIZE, encodeCursor } from '@keyward/service-runtime';
import { FERRETDB_SAFE_WRITE_BATCH } from '@keyward/projections';
import { isDuplicateKeyError } from './errors';
import type { ListCondition } from './view-filters';
import { accountFilter } from './view-filters';
import { withTransientRetry } from './transient-retry';

/** What every read-model document carries: its aggregate, account and the version it reflects. */
export interface ViewBase {
  readonly id: string;
  readonly accountId: string;
  readonly version: number;
}

interface Doc { _id: string; accountId: string; version: number; [field: string]: unknown }

export interface Page<V> {
  readonly items: V[];
  /** Pass as `cursor` for the next page; null on the last page. */
  readonly nextCursor: string | null;
}

export type ViewFilter = NonNullable<Parameters<Collection<Doc>['find']>[0]>;

/** A list route's paging parameters, as the client gave them. */
export interface PageRequest {
  readonly limit?: number;
  readonly cursor?: string;
}

/**
 * A service's read model of its own aggregates, one document per aggregate. Writes are
 * idempotent and never go backwards (a view is replaced only by a higher version), so the inline
 * update after a command and the relay's repair can race harmlessly.
 */
export class MongoViewStore<V extends ViewBase> {
  readonly collection: Collection<Doc>;

  constructor(connection: Connection, name: string) {
    this.collection = connection.collection<Doc>(name);
  }

  async save(view: V): Promise<void> {
    await insertOrSaveIfNewer(this.collection, toDoc(view));
  }

  /** By `_id` alone (the indexed lookup), the account compared here: another account's view is none. */
  async get(accountId: string, id: string): Promise<V | undefined> {
    const doc = await withTransientRetry(() => this.collection.findOne({ _id: id }));
    return doc && doc.accountId === accountId ? fromDoc<V>(doc) : undefined;
  }

  /** Every service's "get one": the account's view, or what `notFound()` makes thrown (another account's view is not found either). */
  async require(accountId: string, id: string, notFound: () => Error): Promise<V> {
    const view = await this.get(accountId, id);
    if (!view) throw notFound();
    return view;
  }

  async find(filter: ViewFilter, sort: Record<string, 1 | -1>, limit: number): Promise<V[]> {
    return (await withTransientRetry(() => this.collection.find(filter).sort(sort).limit(limit).toArray())).map((d) => fromDoc<V>(d));
  }

  /**
   * One page of views matching `filter`, newest first by `createdAt` (an ISO string) then id, so
   * pages never overlap or skip; `cursor` is the previous page's `nextCursor`.
   */
  async page(filter: ViewFilter, limit: number, cursor?: string): Promise<Page<V>> {
    const and: ViewFilter[] = [filter];
    if (cursor !== undefined) {
      const after = decodeCursor(cursor);
      and.push({ $or: [{ createdAt: { $lt: after.sortValue } }, { createdAt: after.sortValue, _id: { $lt: after.id } }] });
    }
    const found = await this.find(and.length === 1 ? filter : { $and: and }, { createdAt: -1, _id: -1 }, limit + 1);
    const items = found.slice(0, limit);
    const last = items[items.length - 1] as (V & { createdAt?: unknown }) | undefined;
    return { items, nextCursor: found.length > limit && last && typeof last.createdAt === 'string' ? encodeCursor(last.createdAt, last.id) : null };
  }

  /** Every service's list route: one page of the account's views meeting every condition given, `limit` defaulting to 20. */
  accountPage(accountId: string, conditions: readonly ListCondition[], paging: PageRequest): Promise<Page<V>> {
    return this.page(accountFilter(accountId, conditions), paging.limit ?? DEFAULT_PAGE_SIZE, paging.cursor);
  }

  async all(): Promise<V[]> {
    return (await withTransientRetry(() => this.collection.find({}).toArray())).map((d) => fromDoc<V>(d));
  }

  /** Replaces the whole read model (after a rebuild): upsert every view, then drop the rest. */
  async replaceAll(views: readonly V[]): Promise<void> {
    // Small writes: FerretDB hangs on a bulk write of more than 100 updates of existing documents.
    for (let i = 0; i < views.length; i += FERRETDB_SAFE_WRITE_BATCH) {
      const ops = views.slice(i, i + FERRETDB_SAFE_WRITE_BATCH).map((v) => ({ replaceOne: { filter: { _id: v.id }, replacement: toDoc(v), upsert: true } }));
      // Replacing by id is idempotent, so a busy refusal mid-batch is simply repeated.
      await withTransientRetry(() => this.collection.bulkWrite(ops, { ordered: false }));
    }
    await withTransientRetry(() => this.collection.deleteMany({ _id: { $nin: views.map((v) => v.id) } }));
  }
}

/**
 * Writes a versioned document unless one at its version or newer is there, by `_id` only: a
 * filter with anything beside `_id` (such as `version: {$lt: v}`) makes FerretDB scan the
 * collection. A new document is inserted (a duplicate means a writer was first: compare again);
 * an older one is read, compared and replaced. The read and the replace are two operations, so
 * two writers can cross; callers that can race check the stream afterwards (AggregateStore does).
 */
export async function saveIfNewer<D extends { _id: string; version: number }>(collection: Collection<D>, doc: D): Promise<void> {
  for (let attempt = 1; attempt <= 5; attempt++) {
    const existing = await withTransientRetry(() => collection.findOne({ _id: doc._id } as mongo.Filter<D>));
    if (existing && existing.version >= doc.version) return;
    try {
      if (existing) await withTransientRetry(() => collection.replaceOne({ _id: doc._id } as mongo.Filter<D>, doc));
      else await withTransientRetry(() => collection.insertOne(doc as mongo.OptionalUnlessRequiredId<D>));
      return;
    } catch (e) {
      if (!isDuplicateKeyError(e)) throw e;
    }
  }
}

/** Like saveIfNewer for a document this process knows to be new (a version 1): one insert, and the compare only on a duplicate. */
export async function insertOrSaveIfNewer<D extends { _id: string; version: number }>(collection: Collection<D>, doc: D): Promise<void> {
  if (doc.version !== 1) return saveIfNewer(collection, doc);
  try {
    await withTransientRetry(() => collection.insertOne(doc as mongo.OptionalUnlessRequiredId<D>));
  } catch (e) {
    if (!isDuplicateKeyError(e)) throw e;
    await saveIfNewer(collection, doc);
  }
}

function toDoc<V extends ViewBase>(view: V): Doc {
  const { id, accountId, version, ...rest } = view;
  return { ...rest, _id: id, accountId, version };
}

function fromDoc<V>(doc: Doc): V {
  const { _id, ...rest } = doc;
  // The one cast no type can replace: a document read from the database carries no type, and
  // this collection holds only what save() wrote from a V (each service's own read model; a
  // rebuild replaces it whole from the events, never from outside input).
  return { id: _id, ...rest } as unknown as V;
}
