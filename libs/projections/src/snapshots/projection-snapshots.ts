import { join } from 'node:path';
import type { IndexCapture, LoadedSnapshot, SnapshotIdentity, WrittenSnapshot } from './snapshot-file';
import { readSnapshotFile, SnapshotUnusable, snapshotNotCoveredBy, writeSnapshotFile } from './snapshot-file';

/** Where and how often a projection keeps its local snapshot (IndexedProjectionOptions.snapshot). */
export interface ProjectionSnapshotOptions {
  /** The state directory (PROJECTION_SNAPSHOT_DIR); the file is `<dir>/<service>/<instanceId>/<database>.<projection>.snapshot.gz`. */
  readonly dir: string;
  readonly service: string;
  /** This instance (ServiceConfig.instanceId): two instances never share a snapshot. */
  readonly instanceId: string;
  readonly database: string;
  /** A snapshot is written at most this often, when something changed (PROJECTION_SNAPSHOT_INTERVAL_MS); 0: only by `writeNow`. */
  readonly intervalMs: number;
}

/**
 * The state at a consistent cut, taken in one synchronous step: every view persisted in the
 * database, nothing applied beyond `positions` that is not (see IndexedProjection.snapshotCut).
 */
export interface SnapshotCut<V> {
  readonly positions: ReadonlyMap<number, bigint>;
  readonly capture: IndexCapture<V>;
}

/** What `/admin/projections` shows of a projection's snapshot. */
export interface SnapshotStatus {
  readonly path: string;
  /** Where the state came from at start: `snapshot` (then only newer events were read), `database`, or `none` yet. */
  readonly loadedFrom: 'snapshot' | 'database' | 'none';
  /** Why the snapshot was not used at start (null when it was, or when there was none to use). */
  readonly fallbackReason: string | null;
  readonly loaded: { readonly items: number; readonly takenAt: string; readonly positions: Record<string, string>; readonly ms: number } | null;
  readonly lastWritten: { readonly items: number; readonly bytes: number; readonly takenAt: string; readonly positions: Record<string, string>; readonly ms: number } | null;
  readonly lastError: string | null;
  readonly writing: boolean;
}

/** How often a due snapshot tries again to find a consistent cut (a batch in flight has none). */
const TICK_MS = 1_000;

/**
 * A projection's local snapshot: loads and verifies it at start, and writes a new one
 * periodically in the background from a consistent cut of the live index. The snapshot is an
 * accelerator only; the database (views + checkpoint) and the topic stay the sources of truth,
 * and anything doubtful about a snapshot falls back to them.
 */
export class ProjectionSnapshots<V> {
  readonly path: string;
  private readonly identity: SnapshotIdentity;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<WrittenSnapshot | undefined> | undefined;
  private abort = new AbortController();
  private lastPositions: ReadonlyMap<number, bigint> | undefined;
  private lastWrittenAtMs = 0;
  private loadedFrom: SnapshotStatus['loadedFrom'] = 'none';
  private fallbackReason: string | null = null;
  private loaded: SnapshotStatus['loaded'] = null;
  private lastWritten: SnapshotStatus['lastWritten'] = null;
  private lastError: string | null = null;

  constructor(
    private readonly options: ProjectionSnapshotOptions & { readonly projection: string; readonly topic: string },
    private readonly cut: () => SnapshotCut<V> | undefined,
    private readonly log: { log(message: string): void; warn(message: string): void },
    private readonly label: string,
  ) {
    this.identity = { service: options.service, projection: options.projection, instanceId: options.instanceId, topic: options.topic, database: options.database };
    // Keyed by (service, instance, projection) as DECISIONS D2 asks, and by database too, so services
    // that share an instance id (tests on port 0) never even read each other's snapshot.
    this.path = snapshotFilePath(options.dir, this.identity);
  }

  /**
   * The snapshot, verified and covered by the database's checkpoint, or undefined (logged, and
   * recorded for the status) when there is none or it cannot be used.
   */
  async load(checkpoints: ReadonlyMap<number, bigint>, onViews: (views: V[]) => void): Promise<LoadedSnapshot | undefined> {
    const started = Date.now();
    try {
      const snapshot = await readSnapshotFile<V>(this.path, this.identity, onViews);
      const notCovered = snapshotNotCoveredBy(snapshot.positions, checkpoints);
      if (notCovered) throw new SnapshotUnusable('behind-database', `${this.path}: ${notCovered}`);
      const ms = Date.now() - started;
      this.loadedFrom = 'snapshot';
      this.loaded = { items: snapshot.items, takenAt: snapshot.header.takenAt, positions: { ...snapshot.header.positions }, ms };
      this.lastPositions = snapshot.positions;
      this.lastWrittenAtMs = Date.now();
      return snapshot;
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      this.fallbackReason = e instanceof SnapshotUnusable && e.why === 'missing' ? null : reason;
      if (this.fallbackReason) this.log.warn(`${this.label}: snapshot not used (${reason}); loading from the database instead`);
      return undefined;
    }
  }

  /** The state came from the database after all (no snapshot, or it was dropped after loading; see IndexedProjection). */
  loadedFromDatabase(reason?: string): void {
    this.loadedFrom = 'database';
    if (reason) {
      this.fallbackReason = reason;
      this.loaded = null;
      this.lastPositions = undefined;
      this.lastWrittenAtMs = 0;
    }
  }

  /** Starts the periodic writes (none when intervalMs is 0). */
  start(): void {
    this.abort = new AbortController();
    if (this.options.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => this.tick(), Math.min(TICK_MS, this.options.intervalMs));
    this.timer.unref();
  }

  /** Stops the writes; a write in progress is abandoned (its temporary file removed, the previous snapshot kept). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.abort.abort(new Error('the projection stopped'));
    await this.writing?.catch(() => undefined);
  }

  /**
   * Writes a snapshot now (tests, shutdown tooling): waits up to `timeoutMs` for a consistent cut,
   * then for the write. Undefined when no cut came, or nothing changed since the last snapshot.
   */
  async writeNow(timeoutMs = 10_000): Promise<WrittenSnapshot | undefined> {
    await this.writing?.catch(() => undefined);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const cut = this.cut();
      if (cut) return this.write(cut) ?? undefined;
      if (Date.now() > deadline) return undefined;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  status(): SnapshotStatus {
    return {
      path: this.path, loadedFrom: this.loadedFrom, fallbackReason: this.fallbackReason, loaded: this.loaded,
      lastWritten: this.lastWritten, lastError: this.lastError, writing: this.writing !== undefined,
    };
  }

  private tick(): void {
    if (this.writing || Date.now() - this.lastWrittenAtMs < this.options.intervalMs) return;
    const cut = this.cut();
    if (!cut || samePositions(cut.positions, this.lastPositions)) return;
    void this.write(cut);
  }

  private write(cut: SnapshotCut<V>): Promise<WrittenSnapshot | undefined> | undefined {
    if (samePositions(cut.positions, this.lastPositions)) return undefined;
    const run = writeSnapshotFile(this.path, this.identity, cut.positions, cut.capture, this.abort.signal).then((w) => {
      this.lastPositions = w.positions;
      this.lastWrittenAtMs = Date.now();
      this.lastError = null;
      this.lastWritten = { items: w.items, bytes: w.bytes, takenAt: w.takenAt, positions: record(w.positions), ms: w.ms };
      this.log.log(`${this.label}: wrote a snapshot of ${w.items} items at ${describe(w.positions)} in ${w.ms} ms (${Math.round(w.bytes / 1024)} KiB)`);
      return w;
    }, (e: unknown) => {
      if (this.abort.signal.aborted) return undefined;
      const message = e instanceof Error ? e.message : String(e);
      // Logged when it changes, not every interval: a full disk would otherwise flood the log.
      if (message !== this.lastError) this.log.warn(`${this.label}: could not write a snapshot to ${this.path}: ${message}`);
      this.lastError = message;
      this.lastWrittenAtMs = Date.now();
      return undefined;
    }).finally(() => {
      this.writing = undefined;
    });
    this.writing = run;
    return run;
  }
}

function samePositions(a: ReadonlyMap<number, bigint>, b: ReadonlyMap<number, bigint> | undefined): boolean {
  if (!b || a.size !== b.size) return false;
  for (const [p, o] of a) if (b.get(p) !== o) return false;
  return true;
}

function record(positions: ReadonlyMap<number, bigint>): Record<string, string> {
  return Object.fromEntries([...positions].map(([p, o]) => [String(p), o.toString()]));
}

/** `offsets 0:12 1:7 2:9` for a log line. */
export function describe(positions: ReadonlyMap<number, bigint>): string {
  return `offsets ${[...positions].sort(([a], [b]) => a - b).map(([p, o]) => `${p}:${o}`).join(' ') || '(none)'}`;
}

/** Where a projection's snapshot lives: `<dir>/<service>/<instanceId>/<database>.<projection>.snapshot.gz`. */
export function snapshotFilePath(dir: string, identity: Omit<SnapshotIdentity, 'topic'>): string {
  return join(dir, safe(identity.service), safe(identity.instanceId), `${safe(identity.database)}.${safe(identity.projection)}.snapshot.gz`);
}

/** A path segment from a name (an instance id may hold a host name and a port). */
function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}

/** The `snapshot` option, present only when snapshots are on (exactOptionalPropertyTypes). */
export function withSnapshot(options: ProjectionSnapshotOptions | undefined): { snapshot?: ProjectionSnapshotOptions } {
  return options ? { snapshot: options } : {};
}
