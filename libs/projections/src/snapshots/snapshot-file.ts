import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { createGunzip, createGzip } from 'node:zlib';

/**
 * A projection's snapshot on the local disk: the state of its in-memory index at exactly the
 * offsets it records, so a restart loads it and reads only what came after (docs/snapshots.md).
 *
 * Format (version 1): one gzip member holding newline-delimited JSON:
 *   line 1        the header: what this is a snapshot of (identity), the offsets it covers, the item count;
 *   lines 2..n-1  the views, in JSON arrays of up to VIEWS_PER_LINE;
 *   line n        the trailer: `{"end":true,"items":N,"lines":L}`.
 * gzip's CRC-32 and length catch a damaged or cut file; the trailer proves it was written to the end;
 * the header must name the projection, topic and database the reader expects. Written to a
 * temporary file, fsynced and renamed over the old one, so a crash never leaves half a snapshot.
 */
export const SNAPSHOT_FORMAT = 1;
const KIND = 'keyward-projection-snapshot';
/** Views per line: a line is parsed in about a millisecond, and it is the slice the writer yields after. */
const VIEWS_PER_LINE = 1000;
/** The gzip level: level 1 compresses a key view about 3× at a fraction of level 6's cost. */
const GZIP_LEVEL = 1;
const IO_CHUNK = 1024 * 1024;

/** What a snapshot is of: a reader refuses one taken of anything else. */
export interface SnapshotIdentity {
  readonly service: string;
  readonly projection: string;
  readonly instanceId: string;
  readonly topic: string;
  readonly database: string;
}

export interface SnapshotHeader extends SnapshotIdentity {
  readonly kind: typeof KIND;
  readonly format: number;
  /** Next offset to read per partition: every message below it is in the views, none at or above it. */
  readonly positions: Readonly<Record<string, string>>;
  readonly items: number;
  readonly takenAt: string;
}

/** A point-in-time copy of an index's items, rendered as views a slice at a time (see ProjectionIndex.capture). */
export interface IndexCapture<V> {
  readonly size: number;
  views(start: number, end: number): V[];
}

export interface WrittenSnapshot {
  readonly path: string;
  readonly items: number;
  readonly bytes: number;
  readonly positions: ReadonlyMap<number, bigint>;
  readonly takenAt: string;
  readonly ms: number;
}

export interface LoadedSnapshot {
  readonly header: SnapshotHeader;
  readonly items: number;
  readonly positions: Map<number, bigint>;
  readonly bytes: number;
}

/** Why a snapshot file was not used: `missing` is the normal first start; every other one is logged as a warning. */
export class SnapshotUnusable extends Error {
  constructor(readonly why: 'missing' | 'corrupt' | 'foreign' | 'behind-database', message: string) {
    super(message);
    this.name = 'SnapshotUnusable';
  }
}

export async function writeSnapshotFile<V>(
  path: string,
  identity: SnapshotIdentity,
  positions: ReadonlyMap<number, bigint>,
  capture: IndexCapture<V>,
  signal?: AbortSignal,
): Promise<WrittenSnapshot> {
  const started = Date.now();
  const takenAt = new Date().toISOString();
  const header: SnapshotHeader = {
    kind: KIND, format: SNAPSHOT_FORMAT, ...identity,
    positions: Object.fromEntries([...positions].map(([p, o]) => [String(p), o.toString()])),
    items: capture.size, takenAt,
  };
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    async function* lines(): AsyncGenerator<string> {
      yield `${JSON.stringify(header)}\n`;
      let count = 1;
      for (let i = 0; i < capture.size; i += VIEWS_PER_LINE) {
        signal?.throwIfAborted();
        yield `${JSON.stringify(capture.views(i, Math.min(i + VIEWS_PER_LINE, capture.size)))}\n`;
        count++;
        // Rendering and serializing a line is the event loop's work: requests get their turn after each.
        await yieldToEventLoop();
      }
      yield `${JSON.stringify({ end: true, items: capture.size, lines: count + 1 })}\n`;
    }
    // `flush`: the file is fsynced before it is closed, so the rename below never publishes unwritten data.
    await pipeline(Readable.from(lines()), createGzip({ level: GZIP_LEVEL, chunkSize: IO_CHUNK }), createWriteStream(tmp, { flags: 'wx', mode: 0o600, flush: true }),
      ...(signal ? [{ signal }] : []));
    const { size } = await stat(tmp);
    await rename(tmp, path);
    await syncDirectory(dirname(path));
    return { path, items: capture.size, bytes: size, positions: new Map(positions), takenAt, ms: Date.now() - started };
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Reads and verifies a snapshot, handing its views to `onViews` a line at a time as they are
 * decompressed (so the caller can index them meanwhile, and never holds them all). It is valid only
 * once this resolves, after the whole file was checked (gzip CRC, header, every line, trailer): a
 * caller loads into a fresh state and throws that away when this rejects. Throws SnapshotUnusable.
 */
export async function readSnapshotFile<V>(path: string, expected: SnapshotIdentity, onViews: (views: V[]) => void): Promise<LoadedSnapshot> {
  let items = 0;
  let header: SnapshotHeader | undefined;
  let trailer: { items: number; lines: number } | undefined;
  let lineCount = 0;
  let bytes = 0;
  let pending: Buffer[] = [];
  // What onLine refused: the pipeline may report the abort of its other stages instead.
  let refused: SnapshotUnusable | undefined;
  const onLine = (line: string): void => {
    try {
      readLine(line);
    } catch (e) {
      refused = e instanceof SnapshotUnusable ? e : new SnapshotUnusable('corrupt', `line ${lineCount} of ${path}: ${e instanceof Error ? e.message : String(e)}`);
      throw refused;
    }
  };
  const readLine = (line: string): void => {
    lineCount++;
    if (trailer) throw new SnapshotUnusable('corrupt', 'data after the trailer');
    const value: unknown = JSON.parse(line);
    if (header === undefined) {
      header = checkHeader(value, expected);
      return;
    }
    if (Array.isArray(value)) {
      items += value.length;
      // The views as this code wrote them (the file is ours, and verified as a whole before it counts).
      onViews(value as V[]);
      return;
    }
    if (isTrailer(value)) {
      trailer = value;
      return;
    }
    throw new SnapshotUnusable('corrupt', `line ${lineCount} is neither views nor the trailer`);
  };
  try {
    // Large chunks: each gunzip step is a round trip to libuv's thread pool, which a busy machine makes slow.
    const input = createReadStream(path, { highWaterMark: IO_CHUNK });
    input.on('data', (chunk) => {
      bytes += chunk.length;
    });
    await pipeline(input, createGunzip({ chunkSize: IO_CHUNK }), async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) {
        let start = 0;
        for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
          const piece = chunk.subarray(start, nl);
          const line = pending.length > 0 ? Buffer.concat([...pending, piece]).toString('utf8') : piece.toString('utf8');
          pending = [];
          onLine(line);
          start = nl + 1;
        }
        if (start < chunk.length) pending.push(chunk.subarray(start));
      }
    });
  } catch (e) {
    if (refused) throw refused;
    // Not `instanceof Error`: an error of Node's own realm fails that test inside jest's sandbox.
    if (typeof e === 'object' && e !== null && 'code' in e && e.code === 'ENOENT') throw new SnapshotUnusable('missing', `no snapshot at ${path}`);
    throw new SnapshotUnusable('corrupt', `${path} is damaged: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (pending.length > 0) throw new SnapshotUnusable('corrupt', `${path} ends inside a line`);
  if (!header) throw new SnapshotUnusable('corrupt', `${path} is empty`);
  if (!trailer) throw new SnapshotUnusable('corrupt', `${path} has no trailer (cut short)`);
  if (trailer.items !== items || header.items !== items || trailer.lines !== lineCount) {
    throw new SnapshotUnusable('corrupt', `${path} holds ${items} views in ${lineCount} lines, its header and trailer say ${header.items} and ${trailer.items} in ${trailer.lines}`);
  }
  const positions = new Map<number, bigint>();
  for (const [p, o] of Object.entries(header.positions)) positions.set(Number(p), BigInt(o));
  return { header, items, positions, bytes };
}

/**
 * Whether the database's checkpoint covers the snapshot: every partition the database has
 * consumed is in the snapshot, and nowhere is the snapshot ahead of it. A snapshot ahead of the
 * database (a database restored from a backup, or wiped) must not be used: the views the database
 * lacks would never be written again, and a later restart from the database would miss them.
 * Returns why not, or undefined.
 */
export function snapshotNotCoveredBy(snapshot: ReadonlyMap<number, bigint>, checkpoints: ReadonlyMap<number, bigint>): string | undefined {
  for (const [p, at] of checkpoints) {
    if (!snapshot.has(p)) return `it has no offset for partition ${p}, which the database's checkpoint has (at ${at})`;
  }
  for (const [p, at] of snapshot) {
    const db = checkpoints.get(p) ?? 0n;
    if (at > db) return `it is ahead of the database's checkpoint on partition ${p} (${at} > ${db}): restored or wiped database?`;
  }
  return undefined;
}

function checkHeader(value: unknown, expected: SnapshotIdentity): SnapshotHeader {
  if (!isHeader(value)) throw new SnapshotUnusable('corrupt', 'the first line is not a snapshot header');
  if (value.format !== SNAPSHOT_FORMAT) throw new SnapshotUnusable('foreign', `format ${value.format}, this code reads ${SNAPSHOT_FORMAT}`);
  for (const field of ['service', 'projection', 'instanceId', 'topic', 'database'] as const) {
    if (value[field] !== expected[field]) {
      throw new SnapshotUnusable('foreign', `it is a snapshot of ${field} "${value[field]}", not "${expected[field]}"`);
    }
  }
  return value;
}

function isHeader(v: unknown): v is SnapshotHeader {
  if (typeof v !== 'object' || v === null) return false;
  const h = v as Record<string, unknown>;
  const positions = h['positions'];
  return h['kind'] === KIND && typeof h['format'] === 'number' && typeof h['items'] === 'number' && typeof h['takenAt'] === 'string' &&
    ['service', 'projection', 'instanceId', 'topic', 'database'].every((f) => typeof h[f] === 'string') &&
    typeof positions === 'object' && positions !== null &&
    Object.entries(positions).every(([p, o]) => /^\d+$/.test(p) && typeof o === 'string' && /^\d+$/.test(o));
}

function isTrailer(v: unknown): v is { end: true; items: number; lines: number } {
  if (typeof v !== 'object' || v === null) return false;
  const t = v as Record<string, unknown>;
  return t['end'] === true && typeof t['items'] === 'number' && typeof t['lines'] === 'number';
}

/** Makes the rename durable (the directory entry), where the platform allows opening a directory. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync().catch(() => undefined);
  } finally {
    await handle.close();
  }
}
