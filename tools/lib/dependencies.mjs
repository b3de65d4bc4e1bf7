// Installs the workspace's npm dependencies when they are missing or older than the lock file,
// so `npm start` and `npm test` work straight after a clone. Only Node built-ins here: this runs
// before node_modules exists.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function ensureDependencies() {
  const lock = join(ROOT, 'package-lock.json');
  const stamp = join(ROOT, 'node_modules', '.keyward-lock-sha256');
  const want = createHash('sha256').update(readFileSync(lock)).digest('hex');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return;
  console.log('[setup] installing npm dependencies (npm ci) ...');
  const res = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: ROOT, stdio: 'inherit' });
  if (res.status !== 0) {
    console.error('[setup] npm ci failed; check the npm registry is reachable and Node.js is 20.19 or newer');
    process.exit(res.status ?? 1);
  }
  writeFileSync(stamp, want);
}
