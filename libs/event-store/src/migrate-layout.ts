import type { Connection } from 'mongoose';
import { isDuplicateKeyError } from './errors';
import type { OutboxMarkerDoc, StoredEventDoc } from './stored-event';
import { eventKey } from './stored-event';
import { withTransientRetry } from './transient-retry';

/** An event as the earlier layout stored it: `_id` the event id, a counter's `position`, `published` in the event. */
interface LegacyEventDoc extends Omit<StoredEventDoc, '_id' | 'eventId'> {
  _id: string;
  eventId?: undefined;
  published: boolean;
  publishedAt?: Date;
}

export interface MigrationResult {
  /** Events rewritten to the `_id` = stream + version layout. */
  readonly migrated: number;
  /** Of them, not yet published: they got an outbox marker and the relay publishes them. */
  readonly unpublished: number;
  /** Events already in the new layout (a second run, or one resumed after a crash). */
  readonly alreadyMigrated: number;
}

/** The earlier layout's indexes: two of them are unique on fields each event keeps, so they go first. */
const LEGACY_INDEXES = ['stream_version', 'position', 'outbox'];
const MIGRATE_PARALLEL = 8;

/**
 * Rewrites an event store written by the earlier layout (events by random `_id`, a `position`
 * counter in `<name>_counters`, `published` flags) into the current one, in place: per event,
 * insert its outbox marker when it was unpublished, insert the event under its new `_id`
 * (stream + zero-padded version, the same envelope id, position and data), then delete the old
 * document. Each step is idempotent (a duplicate key means it was done), so a migration that
 * crashed is simply run again. One pass over the collection (a scan): run it with the service
 * stopped — `npx nx run event-store:migrate -- --service <name>`.
 */
export async function migrateEventStoreLayout(connection: Connection, collection = 'events', log: (m: string) => void = () => undefined): Promise<MigrationResult> {
  const events = connection.collection<StoredEventDoc | LegacyEventDoc>(collection);
  const outbox = connection.collection<OutboxMarkerDoc>(`${collection}_outbox`);
  const existing = new Set((await withTransientRetry(() => events.listIndexes().toArray().catch(() => []))).map((i: { name?: unknown }) => String(i.name)));
  for (const name of LEGACY_INDEXES) if (existing.has(name)) await withTransientRetry(() => events.dropIndex(name));
  let migrated = 0;
  let unpublished = 0;
  let alreadyMigrated = 0;
  // Ids collected first (the loop below inserts into the collection the cursor walks), each
  // document then read again by `_id`: memory for the ids only.
  const legacy: string[] = [];
  for await (const doc of events.find({}, { projection: { _id: 1, eventId: 1 } })) {
    if (doc.eventId === undefined) legacy.push(doc._id);
    else alreadyMigrated++;
  }
  const migrateOne = async (id: string): Promise<void> => {
    const old = await withTransientRetry(() => events.findOne({ _id: id }));
    if (!old || !isLegacy(old)) return;
    const { _id: eventId, published, publishedAt: _publishedAt, ...rest } = old;
    const doc: StoredEventDoc = { ...rest, _id: eventKey(old.aggregateId, old.version), eventId };
    // Marker before event, as an append writes them: a crash in between leaves the marker for the relay.
    if (!published) {
      await insertIgnoringDuplicate(() => outbox.insertOne({ _id: doc._id, at: 0, event: doc }));
      unpublished++;
    }
    await insertIgnoringDuplicate(() => events.insertOne(doc));
    await withTransientRetry(() => events.deleteOne({ _id: eventId }));
    migrated++;
    if (migrated % 10_000 === 0) log(`migrated ${migrated} of ${legacy.length} events`);
  };
  for (let i = 0; i < legacy.length; i += MIGRATE_PARALLEL) await Promise.all(legacy.slice(i, i + MIGRATE_PARALLEL).map(migrateOne));
  await withTransientRetry(() => connection.collection(`${collection}_counters`).drop().catch(() => false));
  return { migrated, unpublished, alreadyMigrated };
}

function isLegacy(doc: StoredEventDoc | LegacyEventDoc): doc is LegacyEventDoc {
  return doc.eventId === undefined;
}

async function insertIgnoringDuplicate(op: () => Promise<unknown>): Promise<void> {
  try {
    await withTransientRetry(op);
  } catch (e) {
    if (!isDuplicateKeyError(e)) throw e;
  }
}
