import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { IndexCapture, SnapshotIdentity } from './snapshot-file';
import { readSnapshotFile, SnapshotUnusable, snapshotNotCoveredBy, writeSnapshotFile } from './snapshot-file';

// The snapshot file on a real temporary directory: what is written is read back whole, and every
// kind of damage is refused with a reason (never half a state).

interface View { id: string; n: number; name: string }
const identity: SnapshotIdentity = { service: 'sessions', projection: 'keys', instanceId: 'host-3002', topic: 't.keys.events', database: 'keyward_sessions' };
const views: View[] = Array.from({ length: 2_345 }, (_, i) => ({ id: `key_${i}`, n: i, name: `naïve “${i}” ✓` }));
const capture: IndexCapture<View> = { size: views.length, views: (s, e) => views.slice(s, e) };
const positions = new Map<number, bigint>([[0, 800n], [1, 12n], [2, 1_533n]]);

describe('snapshot file', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'snapshot-spec-'));
    path = join(dir, 'a', 'keys.snapshot.gz');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function reason(p: Promise<unknown>): Promise<string> {
    try {
      await p;
    } catch (e) {
      if (e instanceof SnapshotUnusable) return `${e.why}: ${e.message}`;
      throw e;
    }
    throw new Error('the snapshot was accepted');
  }

  it('reads back exactly the views and offsets it wrote, leaving no temporary file', async () => {
    const written = await writeSnapshotFile(path, identity, positions, capture);
    expect(written).toMatchObject({ items: 2_345, path });
    const read: View[] = [];
    const loaded = await readSnapshotFile<View>(path, identity, (v) => read.push(...v));
    expect(read).toEqual(views);
    expect(loaded.items).toBe(2_345);
    expect(loaded.positions).toEqual(positions);
    expect(loaded.header).toMatchObject({ ...identity, items: 2_345, positions: { 0: '800', 1: '12', 2: '1533' } });
    expect(await readdir(join(dir, 'a'))).toEqual(['keys.snapshot.gz']);
  });

  it('refuses a damaged, cut, empty or missing file, and one of another projection', async () => {
    await writeSnapshotFile(path, identity, positions, capture);
    const good = await readFile(path);

    const flipped = Buffer.from(good);
    for (let i = Math.floor(good.length / 2); i < Math.floor(good.length / 2) + 16; i++) flipped[i] = (flipped[i] ?? 0) ^ 0xff;
    await writeFile(path, flipped);
    expect(await reason(readSnapshotFile(path, identity, () => undefined))).toMatch(/^corrupt: /);

    await writeFile(path, good.subarray(0, good.length - 30));
    expect(await reason(readSnapshotFile(path, identity, () => undefined))).toMatch(/^corrupt: /);

    // Well-formed gzip whose content stops before the trailer (a writer that did not finish).
    const text = gunzipSync(good).toString('utf8');
    const lines = text.trimEnd().split('\n');
    await writeFile(path, gzipSync(`${lines.slice(0, -1).join('\n')}\n`));
    expect(await reason(readSnapshotFile(path, identity, () => undefined))).toMatch(/^corrupt: .*no trailer/);
    // One line of views dropped: the counts no longer match the header and the trailer.
    await writeFile(path, gzipSync(`${[...lines.slice(0, 1), ...lines.slice(2)].join('\n')}\n`));
    expect(await reason(readSnapshotFile(path, identity, () => undefined))).toMatch(/^corrupt: .*holds 1345 views/);

    await writeFile(path, Buffer.alloc(0));
    expect(await reason(readSnapshotFile(path, identity, () => undefined))).toMatch(/^corrupt: /);

    await rm(path);
    expect(await reason(readSnapshotFile(path, identity, () => undefined))).toMatch(/^missing: /);

    await writeFile(path, good);
    expect(await reason(readSnapshotFile(path, { ...identity, instanceId: 'other-3002' }, () => undefined))).toMatch(/^foreign: .*instanceId "host-3002", not "other-3002"/);
    expect(await reason(readSnapshotFile(path, { ...identity, topic: 'u.keys.events' }, () => undefined))).toMatch(/^foreign: .*topic/);
  });

  it('an aborted write leaves the previous snapshot in place and no temporary file', async () => {
    await writeSnapshotFile(path, identity, positions, capture);
    const controller = new AbortController();
    const slow: IndexCapture<View> = {
      size: 5_000,
      views: (s, e) => {
        if (s >= 2_000) controller.abort(new Error('stopped'));
        return Array.from({ length: e - s }, (_, i) => ({ id: `x${s + i}`, n: 0, name: '' }));
      },
    };
    await expect(writeSnapshotFile(path, identity, new Map([[0, 9_999n]]), slow, controller.signal)).rejects.toThrow();
    expect(await readdir(join(dir, 'a'))).toEqual(['keys.snapshot.gz']);
    expect((await readSnapshotFile<View>(path, identity, () => undefined)).positions).toEqual(positions);
  });

  it('is used only when the database checkpoint covers it: never ahead of it, no partition missing', () => {
    const snap = new Map<number, bigint>([[0, 10n], [1, 5n]]);
    expect(snapshotNotCoveredBy(snap, new Map([[0, 10n], [1, 5n]]))).toBeUndefined();
    expect(snapshotNotCoveredBy(snap, new Map([[0, 12n], [1, 9n]]))).toBeUndefined();
    expect(snapshotNotCoveredBy(snap, new Map([[0, 9n], [1, 9n]]))).toMatch(/ahead of the database's checkpoint on partition 0/);
    expect(snapshotNotCoveredBy(snap, new Map())).toMatch(/ahead of the database's checkpoint on partition 0 \(10 > 0\)/);
    expect(snapshotNotCoveredBy(snap, new Map([[0, 10n], [1, 5n], [2, 1n]]))).toMatch(/no offset for partition 2/);
    expect(snapshotNotCoveredBy(new Map([[0, 0n]]), new Map())).toBeUndefined();
  });
});
