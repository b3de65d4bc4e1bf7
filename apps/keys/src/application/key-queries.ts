import { Inject, Injectable } from '@nestjs/common';
import type { KeyKind, KeyStatus } from '@keyward/contracts';
import { MongoEventStore } from '@keyward/event-store';
import { ProblemError } from '@keyward/problem';
import type { Clock } from '@keyward/service-runtime';
import { CLOCK, decodeCursor, encodeCursor } from '@keyward/service-runtime';
import type { ApiKeyState } from '../domain';
import { keyNotFound } from './key-commands.service';
import type { KeyDto } from './key-view.dto';
import { toKeyDto } from './key-view.dto';
import { KeyViewsRepository } from './key-views.repository';
import { UsageRepository } from '../usage/usage.repository';

export interface KeyPage {
  items: KeyDto[];
  /** Pass as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}

export interface KeyHistoryEntry {
  version: number;
  type: string;
  occurredAt: string;
  /** The event's payload without hashes: an audit trail shows what changed and who did it. */
  data: Record<string, unknown>;
}

const HIDDEN_FIELDS = new Set(['secretHash', 'previousSecretHash']);

@Injectable()
export class KeyQueries {
  constructor(
    private readonly views: KeyViewsRepository,
    private readonly store: MongoEventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly usage: UsageRepository,
  ) {}

  /** The key as a command left it, with its last use (a command's answer shows the same key as GET). */
  async dtoOf(state: ApiKeyState): Promise<KeyDto> {
    const lastUse = (await this.usage.lastUse([state.id])).get(state.id);
    return toKeyDto({
      _id: state.id, accountId: state.accountId, kind: state.kind, name: state.name,
      permissions: [...state.permissions], allowedIps: [...state.allowedIps],
      allowedOrigins: [...state.allowedOrigins], rateLimit: state.rateLimit, expiresAt: new Date(state.expiresAt),
      status: state.status, createdAt: new Date(state.createdAt), createdBy: state.createdBy, tokenPrefix: state.tokenPrefix,
      lastRotatedAt: state.lastRotatedAt ? new Date(state.lastRotatedAt) : null,
      graceUntil: state.graceUntil ? new Date(state.graceUntil) : null, version: state.version,
    }, this.clock.now(), lastUse);
  }

  async get(accountId: string, keyId: string): Promise<KeyDto> {
    const view = await this.views.get(accountId, keyId);
    if (!view) throw keyNotFound(keyId);
    const lastUse = (await this.usage.lastUse([keyId])).get(keyId);
    return toKeyDto(view, this.clock.now(), lastUse);
  }

  async list(accountId: string, q: { kind?: KeyKind; status?: KeyStatus; limit?: number; cursor?: string }): Promise<KeyPage> {
    const limit = q.limit ?? 20;
    const now = this.clock.now();
    const after = q.cursor !== undefined ? keyCursor(q.cursor) : undefined;
    const docs = await this.views.list({
      accountId, limit: limit + 1, now,
      ...(q.kind ? { kind: q.kind } : {}), ...(q.status ? { status: q.status } : {}), ...(after ? { after } : {}),
    });
    const page = docs.slice(0, limit);
    const last = page[page.length - 1];
    const lastUses = await this.usage.lastUse(page.map((d) => d._id));
    return { items: page.map((d) => toKeyDto(d, now, lastUses.get(d._id))), nextCursor: docs.length > limit && last ? encodeCursor(last.createdAt.toISOString(), last._id) : null };
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
}

/** The shared cursor, whose sort value is a key's creation instant. */
function keyCursor(cursor: string): { createdAt: Date; id: string } {
  const { sortValue, id } = decodeCursor(cursor);
  const createdAt = new Date(sortValue);
  if (Number.isNaN(createdAt.getTime())) throw new ProblemError(400, 'invalid_cursor', 'Invalid cursor', 'cursor must be a nextCursor value from an earlier page');
  return { createdAt, id };
}
