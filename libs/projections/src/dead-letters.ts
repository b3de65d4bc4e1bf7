import type { Connection, Model } from 'mongoose';
import { Schema } from 'mongoose';

/** A message a projection could not parse or apply, kept for operators instead of stalling its partition. */
export interface DeadLetter {
  readonly id: string;
  readonly projection: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** The message key (the aggregate id for our own producers), as text or base64 like the value. */
  readonly key: string | null;
  readonly error: string;
  /** The raw value: UTF-8 text when it is valid text, otherwise base64 (see `encoding`). */
  readonly value: string | null;
  readonly encoding: 'utf8' | 'base64';
  readonly at: string;
}

interface DeadLetterDoc extends Omit<DeadLetter, 'id'> {
  _id: string;
}

export interface DeadLetterPage {
  readonly items: DeadLetter[];
  readonly nextCursor: string | null;
}

export const DEAD_LETTERS_COLLECTION = 'dead_letters';

/**
 * The stored shape, checked by mongoose on every write (dead letters are rare: the cost does not
 * matter, a malformed letter would). `_id` is the letter's position, not an ObjectId.
 */
const deadLetterSchema = new Schema<DeadLetterDoc>({
  _id: { type: String, required: true },
  projection: { type: String, required: true },
  topic: { type: String, required: true },
  partition: { type: Number, required: true },
  offset: { type: String, required: true },
  key: { type: String, default: null },
  error: { type: String, required: true },
  value: { type: String, default: null },
  encoding: { type: String, enum: ['utf8', 'base64'], required: true },
  at: { type: String, required: true },
}, { collection: DEAD_LETTERS_COLLECTION, versionKey: false, strict: 'throw' });
// The operators' listing filters by projection and pages by _id; the count at start filters by both.
deadLetterSchema.index({ projection: 1, topic: 1 });

const utf8 = new TextDecoder('utf-8', { fatal: true });

function asText(bytes: Buffer | null): { text: string | null; encoding: 'utf8' | 'base64' } {
  if (bytes === null) return { text: null, encoding: 'utf8' };
  try {
    return { text: utf8.decode(bytes), encoding: 'utf8' };
  } catch {
    return { text: bytes.toString('base64'), encoding: 'base64' };
  }
}

/**
 * The `dead_letters` collection of the service's own database. A letter's id is its projection and
 * position (`keys:keys.events:1:00000000000000000042`), so a message re-read after a restart is
 * written once, and ids sort by projection, topic, partition and offset (the listing's cursor).
 */
export class DeadLetters {
  private readonly letters: Model<DeadLetterDoc>;

  constructor(connection: Connection) {
    // One model per connection: asked again with the same schema, mongoose hands back the same one.
    this.letters = connection.model<DeadLetterDoc>('DeadLetter', deadLetterSchema);
  }

  static letter(projection: string, topic: string, partition: number, message: { offset: string; key: Buffer | null; value: Buffer | null }, error: string, at: Date): DeadLetter {
    const value = asText(message.value);
    const key = asText(message.key);
    return {
      id: `${projection}:${topic}:${partition}:${message.offset.padStart(20, '0')}`,
      projection, topic, partition, offset: message.offset,
      key: key.encoding === 'utf8' ? key.text : `base64:${key.text ?? ''}`,
      error: error.slice(0, 2000), value: value.text, encoding: value.encoding, at: at.toISOString(),
    };
  }

  /** Writes letters not written before; answers how many were new. */
  async write(letters: readonly DeadLetter[]): Promise<number> {
    if (letters.length === 0) return 0;
    const res = await this.letters.bulkWrite(letters.map(({ id, ...rest }) => ({
      updateOne: { filter: { _id: id }, update: { $setOnInsert: rest }, upsert: true },
    })), { ordered: false });
    return res.upsertedCount;
  }

  async count(projection: string, topic: string): Promise<number> {
    return this.letters.countDocuments({ projection, topic });
  }

  /** Oldest first by position; `cursor` is the id of the last letter of the previous page. */
  async list(query: { projection?: string; limit: number; cursor?: string }): Promise<DeadLetterPage> {
    const filter: Record<string, unknown> = {};
    if (query.projection !== undefined) filter['projection'] = query.projection;
    if (query.cursor !== undefined) filter['_id'] = { $gt: query.cursor };
    const docs = await this.letters.find(filter).sort({ _id: 1 }).limit(query.limit + 1).lean();
    const page = docs.slice(0, query.limit).map(({ _id, ...rest }) => ({ id: _id, ...rest }));
    return { items: page, nextCursor: docs.length > query.limit ? (page[page.length - 1]?.id ?? null) : null };
  }
}
