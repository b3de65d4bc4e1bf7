import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './wait-for';

/**
 * A lock held by the specs that load the machine and bound latency under that load (the overload,
 * kill-under-load, Kafka restart, database outage and rebuild-under-load faults, the quick
 * benchmark), so no two of them run at once in one Jest run. Two of them side by side on two cores
 * starved each other: in a fresh-clone CI run the overload spec and kill-under-load started
 * together and both failed (the edge's own answers from memory took 9 s, connections 10 s).
 * tools/test/sequencer.cjs spreads these specs through the run, so the lock is rarely waited on.
 *
 * Hand-made (a directory created atomically, the holder's pid inside): the holders are Jest
 * workers of one run on one machine, and a crashed holder is recognised by its pid, which no
 * lock library's staleness-by-age offers without a refresh timer in every spec.
 */
export async function holdLoadLock(spec: string, { timeoutMs = LOAD_LOCK_WAIT_MS }: { timeoutMs?: number } = {}): Promise<() => Promise<void>> {
  const dir = join(process.env['KEYWARD_TEST_DATA_DIR'] ?? tmpdir(), 'keyward-load.lock');
  const owner = join(dir, 'owner');
  await waitFor(`the load lock (held by another load spec) for ${spec}`, async () => {
    try {
      await mkdir(dir);
      await writeFile(owner, `${process.pid} ${spec}`);
      return true;
    } catch (e) {
      if (!isCode(e, 'EEXIST')) throw e;
      const holder = await readFile(owner, 'utf8').catch(() => undefined);
      const pid = Number(holder?.split(' ')[0]);
      // No owner file yet: another worker is between its mkdir and its write; wait.
      if (holder !== undefined && Number.isInteger(pid) && !alive(pid)) await rm(dir, { recursive: true, force: true });
      return false;
    }
  }, { timeoutMs, intervalMs: 250 });
  return () => rm(dir, { recursive: true, force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return !isCode(e, 'ESRCH');
  }
}

// Not `instanceof Error`: under Jest, errors of Node's own modules come from another realm.
function isCode(e: unknown, code: string): boolean {
  return typeof e === 'object' && e !== null && 'code' in e && e.code === code;
}

/** How long a load spec waits for the lock: the longest load spec with room (beforeAll's timeout). */
export const LOAD_LOCK_WAIT_MS = 1_200_000;

/**
 * For a load spec's describe: takes the lock in a beforeAll of its own (before the spec's set-up,
 * with a timeout of its own); the spec releases it last in its afterAll, after closing its platform.
 */
export function loadSpecLock(spec: string): { release: () => Promise<void> } {
  let release: () => Promise<void> = () => Promise.resolve();
  beforeAll(async () => {
    release = await holdLoadLock(spec, { timeoutMs: LOAD_LOCK_WAIT_MS });
  }, LOAD_LOCK_WAIT_MS + 10_000);
  return { release: () => release() };
}
