// The one dependency check of `npm start`, `npm test`, `npm run bench` and `npm run infra`: runs
// `npm ci` when node_modules is missing or does not hold what package-lock.json lists, so each
// works straight after a clone, and a manual `npm ci` is never repeated. Only Node built-ins
// here: this runs before node_modules exists.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Why node_modules does not match the lock file, or undefined when it does. The record compared
 * is npm's own: every `npm ci` / `npm install` writes node_modules/.package-lock.json with what it
 * installed. (A stamp of our own was missed by a manual `npm ci`, and file ages by a fresh
 * checkout or a shared node_modules.) Optional packages for other platforms are never installed
 * and so are not required.
 */
export function dependencyProblem(root = ROOT) {
  const modules = join(root, 'node_modules');
  if (!existsSync(modules)) return 'node_modules is missing';
  const installedFile = join(modules, '.package-lock.json');
  if (!existsSync(installedFile)) return 'node_modules was not installed by npm (no node_modules/.package-lock.json)';
  let wanted;
  let installed;
  try {
    wanted = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')).packages ?? {};
    installed = JSON.parse(readFileSync(installedFile, 'utf8')).packages ?? {};
  } catch (e) {
    return `the lock file or npm's record of node_modules is unreadable (${e.message})`;
  }
  for (const [path, entry] of Object.entries(wanted)) {
    if (!path.startsWith('node_modules/') || entry.link) continue;
    const have = installed[path];
    if (!have) {
      if (entry.optional) continue;
      return `${path.slice('node_modules/'.length)} ${entry.version} is not installed`;
    }
    if (have.version !== entry.version) return `${path.slice('node_modules/'.length)} is ${have.version}, the lock file says ${entry.version}`;
  }
  return undefined;
}

export function ensureDependencies(root = ROOT) {
  const problem = dependencyProblem(root);
  if (!problem) return;
  console.log(`[setup] ${problem}: installing the npm dependencies (npm ci) ...`);
  const res = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) {
    console.error('[setup] npm ci failed; check the npm registry is reachable and Node.js is 20.19 or newer');
    process.exit(res.status ?? 1);
  }
}
