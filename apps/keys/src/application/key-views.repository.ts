import { Inject, Injectable } from '@nestjs/common';
import type { Collection, Connection } from 'mongoose';
import type { KeyKind, KeyRateLimit, KeyStatus, Permission } from '@keyward/contracts';
import { insertOrSaveIfNewer, withTransientRetry } from '@keyward/event-store';
import { MONGO_CONNECTION } from '@keyward/service-runtime';
import type { ApiKeyState } from '../domain';

/** The keys service's own read model of its keys: what list and get answer, never a secret hash. */
export interface KeyViewDoc {
  _id: string;
  accountId: string;
  kind: KeyKind;
  name: string;
  permissions: Permission[];
  allowedIps: string[];
  /** Absent in views written before keys had origins and limits. */
  allowedOrigins?: string[];
  rateLimit?: KeyRateLimit | null;
  expiresAt: Date;
  status: KeyStatus;
  createdAt: Date;
  createdBy: string;
  tokenPrefix: string;
  lastRotatedAt: Date | null;
  graceUntil: Date | null;
  version: number;
}

export interface KeyListQuery {
  readonly accountId: string;
  readonly kind?: KeyKind;
  readonly status?: KeyStatus;
  readonly limit: number;
  readonly after?: { readonly createdAt: Date; readonly id: string };
  readonly now: Date;
}

@Injectable()
export class KeyViewsRepository {
  private readonly views: Collection<KeyViewDoc>;

  constructor(@Inject(MONGO_CONNECTION) connection: Connection) {
    this.views = connection.collection<KeyViewDoc>('key_views');
  }

  async init(): Promise<void> {
    await this.views.createIndex({ accountId: 1, createdAt: -1, _id: -1 }, { name: 'account_listing' });
    await this.views.createIndex({ status: 1, expiresAt: 1 }, { name: 'expiry_sweep' });
  }

  /** Writes the view of a folded aggregate unless a newer one is already there (idempotent; by `_id` only). */
  async save(state: ApiKeyState): Promise<void> {
    await insertOrSaveIfNewer(this.views, toDoc(state));
  }

  /** By `_id` alone (the indexed lookup), the account compared here: another account's key is none. */
  async get(accountId: string, keyId: string): Promise<KeyViewDoc | null> {
    const doc = await withTransientRetry(() => this.views.findOne({ _id: keyId }));
    return doc && doc.accountId === accountId ? doc : null;
  }

  /**
   * One page of an account's keys, newest first. The status filter uses the effective status:
   * a key whose expiry has passed is `expired` even before `KeyExpired` is recorded.
   */
  async list(q: KeyListQuery): Promise<KeyViewDoc[]> {
    const and: Record<string, unknown>[] = [{ accountId: q.accountId }];
    if (q.kind) and.push({ kind: q.kind });
    if (q.status === 'expired') {
      and.push({ $or: [{ status: 'expired' }, { status: { $in: ['active', 'disabled'] }, expiresAt: { $lte: q.now } }] });
    } else if (q.status === 'active' || q.status === 'disabled') {
      and.push({ status: q.status, expiresAt: { $gt: q.now } });
    } else if (q.status === 'revoked') {
      and.push({ status: 'revoked' });
    }
    if (q.after) {
      and.push({ $or: [{ createdAt: { $lt: q.after.createdAt } }, { createdAt: q.after.createdAt, _id: { $lt: q.after.id } }] });
    }
    return this.views.find({ $and: and }).sort({ createdAt: -1, _id: -1 }).limit(q.limit).toArray();
  }

  /**
   * Every key that can still expire (one pass of one cursor over the read model: a scan, run once
   * at start to fill the in-memory expiry schedule, never per sweep).
   */
  async forEachExpirable(visit: (key: Pick<KeyViewDoc, '_id' | 'accountId' | 'status' | 'expiresAt'>) => void): Promise<void> {
    const cursor = this.views.find({}, { projection: { _id: 1, accountId: 1, status: 1, expiresAt: 1 }, batchSize: 1000 });
    for await (const doc of cursor) visit(doc);
  }
}

function toDoc(s: ApiKeyState): KeyViewDoc {
  return {
    _id: s.id,
    accountId: s.accountId,
    kind: s.kind,
    name: s.name,
    permissions: [...s.permissions],
    allowedIps: [...s.allowedIps],
    allowedOrigins: [...s.allowedOrigins],
    rateLimit: s.rateLimit,
    expiresAt: new Date(s.expiresAt),
    status: s.status,
    createdAt: new Date(s.createdAt),
    createdBy: s.createdBy,
    tokenPrefix: s.tokenPrefix,
    lastRotatedAt: s.lastRotatedAt ? new Date(s.lastRotatedAt) : null,
    graceUntil: s.graceUntil ? new Date(s.graceUntil) : null,
    version: s.version,
  };
}
