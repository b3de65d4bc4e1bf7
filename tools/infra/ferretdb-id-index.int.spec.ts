import { performance } from 'node:perf_hooks';
import type { Collection } from 'mongoose';
import { testDatabase } from '@keyward/testing';

interface KeyLikeDoc {
  _id: string;
  accountId: string;
  name: string;
  status: string;
  permissions: string[];
  secretHash: string;
  version: number;
}

const SMALL = 1_000;
const LARGE = 100_000;
/** Samples per operation and size; medians, so a few slow ones on a loaded machine do not count. */
const SAMPLES = 25;
/**
 * "Flat" means a lookup by _id on 100x the documents costs at most this many times as much. A scan
 * costs ~90x here (findOne 6 ms at 1k, 540 ms at 100k); an index lookup ~1x, so 3x leaves room for
 * noise without letting a scan through.
 */
const MAX_RATIO = 3;

function doc(i: number, version = 1, id = `key_${String(i).padStart(20, '0')}`): KeyLikeDoc {
  return {
    _id: id,
    accountId: `acc_${i % 5000}`,
    name: `key ${i}`,
    status: 'active',
    permissions: ['devices:read', 'technicians:read'],
    secretHash: i.toString(16).padStart(64, '0'),
    version,
  };
}

async function fill(c: Collection<KeyLikeDoc>, n: number): Promise<void> {
  for (let i = 0; i < n; i += 1000) {
    await c.insertMany(Array.from({ length: Math.min(1000, n - i) }, (_, j) => doc(i + j)), { ordered: false });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/**
 * The FerretDB that tools/infra builds carries patches/sqlite-id-index.patch: queries by _id use
 * the _id index instead of scanning the collection. Without the patch both ratios are ~90x and
 * explain() says SCAN.
 */
describe('FerretDB provisioned by tools/infra: lookups by _id use the _id index', () => {
  let db: Awaited<ReturnType<typeof testDatabase>>;
  let small: Collection<KeyLikeDoc>;
  let large: Collection<KeyLikeDoc>;

  beforeAll(async () => {
    db = await testDatabase('ferretdb_id');
    small = db.connection.collection<KeyLikeDoc>('small');
    large = db.connection.collection<KeyLikeDoc>('large');
    await fill(small, SMALL);
    await fill(large, LARGE);
    expect(await large.estimatedDocumentCount()).toBe(LARGE);
  }, 300_000);

  afterAll(async () => {
    await db.drop();
  });

  it('explains a find by _id as a search of the _id index, not a scan', async () => {
    const plan = await large.find({ _id: doc(4242)._id }).explain();
    const text = JSON.stringify(plan['queryPlanner']);
    expect(text).toContain('USING INDEX');
    expect(text).not.toMatch(/detail=SCAN/);
  });

  it('answers findOne and replaceOne by _id on 100k documents within 3x of the same on 1k', async () => {
    const cost = { findSmall: [] as number[], findLarge: [] as number[], replaceSmall: [] as number[], replaceLarge: [] as number[] };
    for (let k = -3; k < SAMPLES; k++) {
      // Interleaved, so a noisy neighbour hurts both sizes alike; the first rounds warm up.
      const s = doc(Math.floor(Math.random() * SMALL), k + 10);
      const l = doc(Math.floor(Math.random() * LARGE), k + 10);
      const findSmall = await timed(() => small.findOne({ _id: s._id }));
      const findLarge = await timed(() => large.findOne({ _id: l._id }));
      const replaceSmall = await timed(() => small.replaceOne({ _id: s._id }, s, { upsert: true }));
      const replaceLarge = await timed(() => large.replaceOne({ _id: l._id }, l, { upsert: true }));
      if (k < 0) continue;
      cost.findSmall.push(findSmall);
      cost.findLarge.push(findLarge);
      cost.replaceSmall.push(replaceSmall);
      cost.replaceLarge.push(replaceLarge);
    }
    const findRatio = median(cost.findLarge) / median(cost.findSmall);
    const replaceRatio = median(cost.replaceLarge) / median(cost.replaceSmall);
    process.stderr.write(
      `[ferretdb-id-index] medians (ms) findOne 1k ${median(cost.findSmall).toFixed(2)} 100k ${median(cost.findLarge).toFixed(2)} ` +
      `(x${findRatio.toFixed(2)}); replaceOne 1k ${median(cost.replaceSmall).toFixed(2)} 100k ${median(cost.replaceLarge).toFixed(2)} ` +
      `(x${replaceRatio.toFixed(2)})\n`,
    );
    expect(findRatio).toBeLessThanOrEqual(MAX_RATIO);
    expect(replaceRatio).toBeLessThanOrEqual(MAX_RATIO);
  });

  it('still finds, replaces, upserts and refuses a duplicate _id through the patched path', async () => {
    const id = doc(77)._id;
    expect(await large.findOne({ _id: id })).toMatchObject({ accountId: 'acc_77' });
    expect((await large.replaceOne({ _id: id }, { ...doc(77), name: 'renamed' })).modifiedCount).toBe(1);
    expect(await large.findOne({ _id: id })).toMatchObject({ name: 'renamed' });
    expect((await large.replaceOne({ _id: 'key_new' }, doc(0, 1, 'key_new'), { upsert: true })).upsertedCount).toBe(1);
    expect(await large.findOne({ _id: 'key_new' })).toMatchObject({ _id: 'key_new' });
    await expect(large.insertOne(doc(78))).rejects.toMatchObject({ code: 11000 });
    expect(await large.findOne({ _id: 'key_missing' })).toBeNull();
    expect((await large.deleteOne({ _id: 'key_new' })).deletedCount).toBe(1);
    expect(await large.countDocuments({ _id: 'key_new' })).toBe(0);
  });
});
