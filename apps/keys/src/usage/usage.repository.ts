import { Inject, Injectable } from '@nestjs/common';
import type { Collection, Connection } from 'mongoose';
import type { KeyUsageRecordedEnvelope, UsageCount } from '@keyward/contracts';
import { MONGO_CONNECTION } from '@keyward/service-runtime';
import { addCounts, HOUR_MS, sameCounts, startOf } from './usage-counts';

/** One source's running totals of one minute (the report with the highest number seen). */
interface MinuteEntry {
  /** Window start, ms. */
  w: number;
  /** Source: `<service>/<instance>/<boot>`. */
  s: string;
  /** The report number kept: a report at or below it is a duplicate. */
  q: number;
  c: UsageCount[];
}

/** A key's usage in one UTC hour: every (minute, source) entry. At most 60 × sources entries. */
export interface UsageHourDoc {
  _id: string;
  keyId: string;
  accountId: string;
  hour: Date;
  entries: MinuteEntry[];
}

/** A key's usage in one UTC day: each hour's totals (all sources), a pure function of its hour document. */
export interface UsageDayDoc {
  _id: string;
  keyId: string;
  accountId: string;
  day: Date;
  hours: { h: number; c: UsageCount[] }[];
}

/** The last request seen of a key (its time, operation and client address). */
export interface LastUseDoc {
  _id: string;
  accountId: string;
  at: Date;
  operation: string;
  address: string | null;
}

export const DAY_MS = 24 * HOUR_MS;
/** Keys applied at once (different documents, so they cannot conflict; FerretDB takes a few writes in parallel well). */
const PARALLEL_KEYS = 8;

/**
 * The usage read model of the keys service, projected from `keys.usage`. Every read and write is by
 * `_id` (FerretDB scans anything else): `<keyId>|<hour>` documents hold the minute entries,
 * `<keyId>|<day>` documents each hour's totals, `<keyId>` the last use. Applying a report is
 * idempotent: an entry keeps the highest report number of its (minute, source), the day entry is
 * recomputed from the hour document every time (so a crash between the two writes is repaired by
 * the redelivery), and the last use only moves forward. One consumer applies a partition, and a
 * key's reports are on one partition, so a document has one writer.
 */
@Injectable()
export class UsageRepository {
  private readonly hours: Collection<UsageHourDoc>;
  private readonly days: Collection<UsageDayDoc>;
  private readonly lastUses: Collection<LastUseDoc>;

  constructor(@Inject(MONGO_CONNECTION) connection: Connection) {
    this.hours = connection.collection<UsageHourDoc>('key_usage_hours');
    this.days = connection.collection<UsageDayDoc>('key_usage_days');
    this.lastUses = connection.collection<LastUseDoc>('key_last_use');
  }

  /** Applies a batch of reports (of any keys); answers how many changed an entry. */
  async apply(events: readonly KeyUsageRecordedEnvelope[]): Promise<number> {
    const byKey = new Map<string, KeyUsageRecordedEnvelope[]>();
    for (const e of events) byKey.set(e.aggregateId, [...(byKey.get(e.aggregateId) ?? []), e]);
    const keys = [...byKey.values()];
    let changed = 0;
    for (let i = 0; i < keys.length; i += PARALLEL_KEYS) {
      const counts = await Promise.all(keys.slice(i, i + PARALLEL_KEYS).map((reports) => this.applyKey(reports)));
      changed += counts.reduce((a, b) => a + b, 0);
    }
    return changed;
  }

  async hourDocs(keyId: string, hourStarts: readonly number[]): Promise<UsageHourDoc[]> {
    return this.byIds(this.hours, hourStarts.map((h) => hourId(keyId, h)));
  }

  async dayDocs(keyId: string, dayStarts: readonly number[]): Promise<UsageDayDoc[]> {
    return this.byIds(this.days, dayStarts.map((d) => dayId(keyId, d)));
  }

  /** The last uses of these keys, by key id (keys never used are absent). */
  async lastUse(keyIds: readonly string[]): Promise<Map<string, LastUseDoc>> {
    const docs = await this.byIds(this.lastUses, keyIds);
    return new Map(docs.map((d) => [d._id, d]));
  }

  /** One findOne by `_id` each, a few at a time: `$in` would scan on FerretDB. */
  private async byIds<D extends { _id: string }>(collection: Collection<D>, ids: readonly string[]): Promise<D[]> {
    const out: D[] = [];
    for (let i = 0; i < ids.length; i += PARALLEL_KEYS) {
      const found = await Promise.all(ids.slice(i, i + PARALLEL_KEYS).map((id) => collection.findOne({ _id: id } as Parameters<Collection<D>['findOne']>[0])));
      for (const d of found) if (d) out.push(d as D);
    }
    return out;
  }

  /** One key's reports: each hour touched, then its day entries, then the last use. */
  private async applyKey(reports: readonly KeyUsageRecordedEnvelope[]): Promise<number> {
    const first = reports[0];
    if (!first) return 0;
    const byHour = new Map<number, KeyUsageRecordedEnvelope[]>();
    for (const r of reports) {
      const h = startOf(Date.parse(r.data.window), HOUR_MS);
      byHour.set(h, [...(byHour.get(h) ?? []), r]);
    }
    let changed = 0;
    for (const [hour, hourReports] of byHour) {
      const id = hourId(first.aggregateId, hour);
      const doc: UsageHourDoc = (await this.hours.findOne({ _id: id })) ?? { _id: id, keyId: first.aggregateId, accountId: first.accountId, hour: new Date(hour), entries: [] };
      let dirty = false;
      for (const r of hourReports) {
        const w = Date.parse(r.data.window);
        const at = doc.entries.findIndex((e) => e.w === w && e.s === r.data.source);
        const known = at >= 0 ? doc.entries[at] : undefined;
        if (known && known.q >= r.version) continue;
        const entry: MinuteEntry = { w, s: r.data.source, q: r.version, c: r.data.counts.map((c) => ({ operation: c.operation, outcome: c.outcome, count: c.count })) };
        if (at >= 0) doc.entries[at] = entry;
        else doc.entries.push(entry);
        dirty = true;
        changed++;
      }
      if (dirty) await this.hours.replaceOne({ _id: id }, doc, { upsert: true });
      await this.refreshDay(doc);
    }
    await this.advanceLastUse(reports);
    return changed;
  }

  /** Writes the hour's totals into its day document, unless they are there already. */
  private async refreshDay(hour: UsageHourDoc): Promise<void> {
    const h = hour.hour.getTime();
    const dayStart = startOf(h, DAY_MS);
    const id = dayId(hour.keyId, dayStart);
    const totals = addCounts(hour.entries.map((e) => e.c));
    const day: UsageDayDoc = (await this.days.findOne({ _id: id })) ?? { _id: id, keyId: hour.keyId, accountId: hour.accountId, day: new Date(dayStart), hours: [] };
    const at = day.hours.findIndex((x) => x.h === h);
    if (at >= 0 && sameCounts(day.hours[at]?.c ?? [], totals)) return;
    if (at >= 0) day.hours[at] = { h, c: totals };
    else day.hours.push({ h, c: totals });
    await this.days.replaceOne({ _id: id }, day, { upsert: true });
  }

  private async advanceLastUse(reports: readonly KeyUsageRecordedEnvelope[]): Promise<void> {
    let latest: KeyUsageRecordedEnvelope | undefined;
    for (const r of reports) if (!latest || r.data.lastUsedAt > latest.data.lastUsedAt) latest = r;
    if (!latest) return;
    const at = new Date(latest.data.lastUsedAt);
    const known = await this.lastUses.findOne({ _id: latest.aggregateId });
    if (known && known.at.getTime() >= at.getTime()) return;
    await this.lastUses.replaceOne({ _id: latest.aggregateId },
      { accountId: latest.accountId, at, operation: latest.data.lastOperation, address: latest.data.lastAddress }, { upsert: true });
  }
}

function hourId(keyId: string, hourMs: number): string {
  return `${keyId}|${new Date(hourMs).toISOString().slice(0, 13)}`;
}

function dayId(keyId: string, dayMs: number): string {
  return `${keyId}|${new Date(dayMs).toISOString().slice(0, 10)}`;
}

