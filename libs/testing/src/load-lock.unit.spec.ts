import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { holdLoadLock } from './load-lock';

describe('holdLoadLock: one load spec at a time', () => {
  const before = process.env['KEYWARD_TEST_DATA_DIR'];
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'keyward-load-lock-'));
    process.env['KEYWARD_TEST_DATA_DIR'] = dir;
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    if (before === undefined) delete process.env['KEYWARD_TEST_DATA_DIR'];
    else process.env['KEYWARD_TEST_DATA_DIR'] = before;
  });

  it('gives the lock to a second holder once the first releases it', async () => {
    const first = await holdLoadLock('first');
    const second = holdLoadLock('second', { timeoutMs: 10_000 });
    await first();
    const release = await second;
    // Held now by the second: a third waiter times out.
    await expect(holdLoadLock('third', { timeoutMs: 500 })).rejects.toThrow(/timed out after 500 ms/);
    await release();
  });

  it('gives up with a clear error when the holder does not release within the bound', async () => {
    const held = await holdLoadLock('holder');
    await expect(holdLoadLock('waiter', { timeoutMs: 600 })).rejects.toThrow(/timed out after 600 ms waiting for the load lock \(held by another load spec\) for waiter/);
    await held();
  });

  it('takes over a lock whose holder died (a crashed Jest worker)', async () => {
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    mkdirSync(join(dir, 'keyward-load.lock'));
    writeFileSync(join(dir, 'keyward-load.lock', 'owner'), `${gone} crashed-spec`);
    const release = await holdLoadLock('after the crash', { timeoutMs: 5_000 });
    await release();
  });
});
