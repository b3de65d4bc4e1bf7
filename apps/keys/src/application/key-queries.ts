import { Inject, Injectable } from '@nestjs/common';
import type { KeyKind, KeyStatus } from '@keyward/contracts';
import type { ViewFilter } from '@keyward/event-store';
import { MongoEventStore } from '@keyward/event-store';
import { ProblemError } from '@keyward/problem';
import type { Clock } from '@keyward/service-runtime';
import { CLOCK, decodeCursor, DEFAULT_PAGE_SIZE, encodeCursor } from '@keyward/service-runtime';
import { keyNotFound } from '../domain';
import { UsageRepository } from '../usage/usage.repository';
import type { KeyViews } from './api-key.aggregate';
import { KEY_VIEWS } from './api-key.aggregate';
import type { KeyDto } from './key-view.dto';
import { toKeyDto } from './key-view.dto';
import type { KeyView } from './key.view';

export interface KeyPage {
  items: KeyDto[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}

export interface KeyListQuery {
  readonly kind?: KeyKind;
  /** The effective status: a key whose expiry has passed is `expired` even before `KeyExpired` is recorded. */
  readonly status?: KeyStatus;
  readonly limit?: number;
  readonly cursor?: string;
}

export interface KeyHistoryEntry {
  version: number;
  type: string;
  occurredAt: string;
  /** The event's payload without hashes: an audit trail shows what changed and who did it. */
  data: Record<string, unknown>;
}

const HIDDEN_FIELDS = new Set(['secretHash', 'previousSecretHash']);

/** The read side: answers from the read model (and, for the audit trail, the key's stream), always within the caller's account. */
@Injectable()
export class KeyQueries {
  constructor(
    @Inject(KEY_VIEWS) private readonly views: KeyViews,
    // The concrete store, for the one keys-only read the AggregateStore does not offer: a key's
    // raw events, oldest first, for its audit trail (GET /v1/keys/{id}/events).
    private readonly store: MongoEventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly usage: UsageRepository,
  ) {}

  /** A key as the API answers it, with its last use (a command's answer shows the same key as GET). */
  async present(view: KeyView): Promise<KeyDto> {
    const lastUse = (await this.usage.lastUse([view.id])).get(view.id);
    return toKeyDto(view, this.clock.now(), lastUse);
  }

  /** A key created just now: nobody has used it yet, so its last use needs no lookup. */
  presentNew(view: KeyView): KeyDto {
    return toKeyDto(view, this.clock.now(), undefined);
  }

  /** The key's view, or 404 `key_not_found` (also for another account's key). */
  view(accountId: string, keyId: string): Promise<KeyView> {
    return this.views.require(accountId, keyId, () => keyNotFound(keyId));
  }

  async get(accountId: string, keyId: string): Promise<KeyDto> {
    return this.present(await this.view(accountId, keyId));
  }

  /** One page of the account's keys, newest first (then by id, so pages never overlap). */
  async list(accountId: string, q: KeyListQuery): Promise<KeyPage> {
    const limit = q.limit ?? DEFAULT_PAGE_SIZE;
    const now = this.clock.now();
    const and: ViewFilter[] = [{ accountId }];
    if (q.kind) and.push({ kind: q.kind });
    if (q.status === 'expired') {
      and.push({ $or: [{ status: 'expired' }, { status: { $in: ['active', 'disabled'] }, expiresAt: { $lte: now } }] });
    } else if (q.status === 'active' || q.status === 'disabled') {
      and.push({ status: q.status, expiresAt: { $gt: now } });
    } else if (q.status === 'revoked') {
      and.push({ status: 'revoked' });
    }
    if (q.cursor !== undefined) {
      const after = keyCursor(q.cursor);
      and.push({ $or: [{ createdAt: { $lt: after.createdAt } }, { createdAt: after.createdAt, _id: { $lt: after.id } }] });
    }
    const found = await this.views.find({ $and: and }, { createdAt: -1, _id: -1 }, limit + 1);
    const page = found.slice(0, limit);
    const last = page[page.length - 1];
    const lastUses = await this.usage.lastUse(page.map((v) => v.id));
    return {
      items: page.map((v) => toKeyDto(v, now, lastUses.get(v.id))),
      nextCursor: found.length > limit && last ? encodeCursor(last.createdAt.toISOString(), last.id) : null,
    };
  }

  async history(accountId: string, keyId: string): Promise<KeyHistoryEntry[]> {
    const events = await this.store.readStream(keyId);
    if (events.length === 0 || events[0]?.accountId !== accountId) throw keyNotFound(keyId);
    return events.map((e) => ({
      version: e.version,
      type: e.type,
      occurredAt: e.occurredAt,
      data: Object.fromEntries(Object.entries(e.data as Record<string, unknown>).filter(([k]) => !HIDDEN_FIELDS.has(k))),
    }));
  }

  /**
   * Every key that can still expire (one pass of one cursor over the read model: a scan, run once
   * at start to fill the in-memory expiry schedule, never per sweep).
   */
  async forEachExpirable(visit: (key: { id: string; accountId: string; status: string; expiresAt: Date }) => void): Promise<void> {
    const cursor = this.views.collection.find({}, { projection: { _id: 1, accountId: 1, status: 1, expiresAt: 1 }, batchSize: 1000 });
    for await (const doc of cursor) {
      const { status, expiresAt } = doc;
      if (typeof status === 'string' && expiresAt instanceof Date) visit({ id: doc._id, accountId: doc.accountId, status, expiresAt });
    }
  }
}

/** The shared cursor, whose sort value is a key's creation instant. */
function keyCursor(cursor: string): { createdAt: Date; id: string } {
  const { sortValue, id } = decodeCursor(cursor);
  const createdAt = new Date(sortValue);
  if (Number.isNaN(createdAt.getTime())) throw new ProblemError(400, 'invalid_cursor', 'Invalid cursor', 'cursor must be a nextCursor value from an earlier page');
  return { createdAt, id };
}
