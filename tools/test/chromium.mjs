// Headless Chromium for the browser tests, taken from the machine's Debian packages: no npm
// browser package (puppeteer, playwright) downloads its own browser build from outside the
// distribution, and every browser test uses the one system browser, updated with the OS.
//
//   node tools/test/chromium.mjs ensure                    installs chromium with apt-get when it is missing; prints its path
//   node tools/test/chromium.mjs dump-dom <url> [budgetMs]  prints the page's DOM after its scripts ran for budgetMs of virtual time
//
// Installing needs root (test machines and CI containers run as root) and network access to the
// Debian mirrors; it happens once per machine and takes a minute or two.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

export function chromiumPath() {
  return CANDIDATES.find((p) => existsSync(p));
}

function run(command, args) {
  const result = spawnSync(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    timeout: 15 * 60_000,
  });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`}):\n${result.stdout}\n${result.stderr}`);
  }
}

export function ensureChromium() {
  const found = chromiumPath();
  if (found) return found;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error('chromium is not installed and installing it needs root: run `apt-get install -y chromium` once');
  }
  process.stderr.write('[chromium] /usr/bin/chromium is missing; installing the Debian package (once per machine)\n');
  run('apt-get', ['update']);
  // Another test installing at the same moment holds dpkg's lock: wait for it instead of failing.
  run('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '--no-install-recommends', 'chromium']);
  const installed = chromiumPath();
  if (!installed) throw new Error('apt-get installed chromium but no chromium binary was found');
  return installed;
}

export function dumpDom(url, budgetMs = 15_000) {
  const chromium = ensureChromium();
  // A fresh profile each time: no state from an earlier run, nothing shared between runs.
  const profile = mkdtempSync(join(tmpdir(), 'keyward-chromium-'));
  const args = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-extensions',
    `--user-data-dir=${profile}`, `--virtual-time-budget=${budgetMs}`, '--dump-dom', url,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(chromium, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    // Virtual time runs faster than the wall clock; this bound is only for a browser that hangs.
    const timer = setTimeout(() => child.kill('SIGKILL'), budgetMs + 90_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      rmSync(profile, { recursive: true, force: true });
      if (code === 0 && out.length > 0) resolve(out);
      else reject(new Error(`chromium exited ${code ?? signal} with ${out.length} bytes of DOM:\n${err.slice(-4000)}`));
    });
  });
}

const [command, ...rest] = process.argv.slice(2);
const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (!isMain) {
  // Imported: only the exports are wanted.
} else if (command === 'ensure') {
  process.stdout.write(`${ensureChromium()}\n`);
} else if (command === 'dump-dom' && rest[0]) {
  process.stdout.write(await dumpDom(rest[0], rest[1] ? Number(rest[1]) : undefined));
} else {
  process.stderr.write('usage: node tools/test/chromium.mjs ensure | dump-dom <url> [budgetMs]\n');
  process.exit(2);
}
