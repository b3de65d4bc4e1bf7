import type { Model } from 'mongoose';
import { Schema } from 'mongoose';
import { testDatabase } from '@keyward/testing';

interface EventDoc {
  aggregateId: string;
  version: number;
  type: string;
  published: boolean;
}

/**
 * Proves the MongoDB-wire database that tools/infra provisions (FerretDB, SQLite backend) does
 * what the event store relies on, through mongoose.
 */
describe('FerretDB provisioned by tools/infra, through mongoose', () => {
  let db: Awaited<ReturnType<typeof testDatabase>>;
  let Events: Model<EventDoc>;

  beforeAll(async () => {
    db = await testDatabase('ferretdb');
    const schema = new Schema<EventDoc>({
      aggregateId: { type: String, required: true },
      version: { type: Number, required: true },
      type: { type: String, required: true },
      published: { type: Boolean, default: false },
    });
    schema.index({ aggregateId: 1, version: 1 }, { unique: true });
    Events = db.connection.model<EventDoc>('Event', schema, 'events');
    await Events.createIndexes();
  });

  afterAll(async () => {
    await db.drop();
  });

  it('inserts, queries and updates documents', async () => {
    await Events.insertMany([
      { aggregateId: 'a', version: 1, type: 'Created' },
      { aggregateId: 'a', version: 2, type: 'Renamed' },
      { aggregateId: 'b', version: 1, type: 'Created' },
    ]);
    const a = await Events.find({ aggregateId: 'a' }).sort({ version: 1 }).lean();
    expect(a.map((e) => e.type)).toEqual(['Created', 'Renamed']);

    const res = await Events.updateMany({ aggregateId: 'a' }, { $set: { published: true } });
    expect(res.modifiedCount).toBe(2);
    expect(await Events.countDocuments({ published: true })).toBe(2);
  });

  it('rejects a duplicate aggregateId + version with the duplicate-key error code 11000', async () => {
    await Events.create({ aggregateId: 'dup', version: 1, type: 'Created' });
    await expect(Events.create({ aggregateId: 'dup', version: 1, type: 'Other' })).rejects.toMatchObject({ code: 11000 });
    expect(await Events.countDocuments({ aggregateId: 'dup' })).toBe(1);
  });

  it('applies a findOneAndUpdate only when the version condition holds', async () => {
    const Counters = db.connection.model('Counter', new Schema({ _id: String, version: Number, value: String }), 'counters');
    await Counters.create({ _id: 'c1', version: 1, value: 'first' });

    const won = await Counters.findOneAndUpdate({ _id: 'c1', version: 1 }, { $set: { value: 'second' }, $inc: { version: 1 } }, { new: true }).lean();
    expect(won).toMatchObject({ version: 2, value: 'second' });

    const lost = await Counters.findOneAndUpdate({ _id: 'c1', version: 1 }, { $set: { value: 'stale' }, $inc: { version: 1 } }, { new: true }).lean();
    expect(lost).toBeNull();
    expect(await Counters.findById('c1').lean()).toMatchObject({ version: 2, value: 'second' });
  });
});
