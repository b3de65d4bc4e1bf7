import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALL_PERMISSIONS } from '@keyward/contracts';
import type { WholePlatform } from '@keyward/testing';
import type { Reply } from '@keyward/testing';
import { call, KeysApi, startWholePlatform, waitFor, waitUntilEveryServiceKnows } from '@keyward/testing';

// Schemathesis (property-based API testing, from PyPI) against the edge's /openapi.json on a
// running platform (every service its own process, real Kafka and FerretDB), with a private key
// holding every tenant permission. It must find nothing: no 5xx, no status, content type or
// response body the document does not describe.
//
// Path parameters are given real ids of the key's account (a device, technician, ticket, session and a
// second key, made before the run), so the cases reach the domain rather than 404; random ids are
// still tried by the coverage phase of operations without a fixed value.
//
// Budget: a few examples per operation and a hard time bound (--max-time, and a kill after it),
// so the spec stays within a few minutes on a loaded two-core machine.
//
// The auth-failure throttle: schemathesis sends many requests from one address, and some of them
// (missing or mangled keys are part of what it generates) fail authentication; with the default
// limit (20 per minute) the rest of its cases would answer 429. The platform of this spec starts
// with AUTH_FAILURE_LIMIT=1000000, an allowance documented here: the throttle itself is tested
// by the edge's own specs, and 429 `too_many_auth_failures` is documented on every operation.

const SCHEMATHESIS_VERSION = '4.32.5';
const CACHE_DIR = process.env['KEYWARD_CACHE_DIR'] ?? join(homedir(), '.cache', 'keyward');
const VENV = join(CACHE_DIR, `venv-schemathesis-${SCHEMATHESIS_VERSION}`);
/** Written last by a complete install: a venv without it is a broken one, made again. */
const INSTALLED_MARK = join(VENV, '.keyward-installed');
const CHECKS = ['not_a_server_error', 'status_code_conformance', 'content_type_conformance', 'response_schema_conformance'];
const MAX_EXAMPLES = 8;
const MAX_TIME_S = 100;

function run(cmd: string, args: readonly string[], options: { timeoutMs: number; env?: NodeJS.ProcessEnv; cwd?: string }): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env }, ...(options.cwd ? { cwd: options.cwd } : {}) });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('error', (e) => { clearTimeout(timer); reject(e); });
    child.once('exit', (code) => { clearTimeout(timer); resolve({ code, output }); });
  });
}

/** The cached virtual environment with schemathesis in it, made (python3 -m venv, pip install) when missing. */
async function ensureSchemathesis(): Promise<string> {
  const python = join(VENV, 'bin', 'python');
  if (existsSync(INSTALLED_MARK)) return python;
  rmSync(VENV, { recursive: true, force: true });
  mkdirSync(CACHE_DIR, { recursive: true });
  const venv = await run('python3', ['-m', 'venv', VENV], { timeoutMs: 120_000 }).catch((e: Error) => ({ code: -1, output: e.message }));
  if (venv.code !== 0) throw new Error(`could not create a Python virtual environment at ${VENV} (python3 -m venv exited ${String(venv.code)}); install python3 with venv:\n${venv.output}`);
  const pip = await run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', `schemathesis==${SCHEMATHESIS_VERSION}`], { timeoutMs: 300_000 });
  if (pip.code !== 0) {
    rmSync(VENV, { recursive: true, force: true });
    throw new Error(`could not install schemathesis ${SCHEMATHESIS_VERSION} from PyPI into ${VENV} (pip exited ${String(pip.code)}):\n${pip.output}`);
  }
  writeFileSync(INSTALLED_MARK, `schemathesis ${SCHEMATHESIS_VERSION}\n`);
  return python;
}

interface JunitProblem {
  readonly testcase: string;
  readonly message: string;
}

/** The failed and errored test cases of schemathesis' JUnit report (one test case per operation). */
function junitProblems(xml: string): JunitProblem[] {
  const out: JunitProblem[] = [];
  for (const m of xml.matchAll(/<testcase\b([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const name = /\bname="([^"]*)"/.exec(m[1] ?? '')?.[1] ?? '?';
    for (const p of (m[2] ?? '').matchAll(/<(failure|error)\b([^>]*)>([\s\S]*?)<\/\1>|<(failure|error)\b([^>]*)\/>/g)) {
      const attrs = p[2] ?? p[5] ?? '';
      const text = (p[3] ?? '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&').trim();
      out.push({ testcase: name, message: `${p[1] ?? p[4] ?? ''}: ${/\bmessage="([^"]*)"/.exec(attrs)?.[1] ?? ''}\n${text}`.trim() });
    }
  }
  return out;
}

/** Real ids of the key's account for every path parameter, each known to the services that check it. */
async function seed(edge: string, secret: string, keys: KeysApi): Promise<Record<string, string>> {
  const post = async (path: string, body: unknown, what: string): Promise<string> => {
    const reply: Reply = await waitFor(`${what} to be made`, async () => {
      const r = await call(edge, 'POST', path, { secret, body });
      // 422 unknown_… / 503 references_unavailable while a mirror has not read the reference yet.
      return r.status === 201 ? r : r.status === 422 || r.status === 503 ? false : Promise.reject(new Error(`${what}: ${r.status} ${r.text}`));
    }, { timeoutMs: 30_000 });
    return String(reply.body['id']);
  };
  const technicianId = await post('/v1/technicians', { name: 'Seed Technician', email: 'seed@example.com' }, 'a technician');
  const deviceId = await post('/v1/devices', { name: 'Seed PC', os: 'linux', hostname: 'seed-pc', ownerTechnicianId: technicianId }, 'a device');
  const ticketId = await post('/v1/tickets', { requesterName: 'Seed', requesterEmail: 'seed@example.com', problemDescription: 'seed' }, 'a ticket');
  const sessionId = await post('/v1/sessions', { deviceId, ticketId }, 'a session');
  // Not the key schemathesis calls with: its cases disable, rotate and revoke this one.
  const keyId = (await keys.create({ kind: 'private', name: 'schemathesis target', permissions: ['devices:read'] })).id;
  return { keyId, deviceId, technicianId, ticketId, sessionId };
}

function toml(pathIds: Readonly<Record<string, string>>): string {
  return ['[parameters]', ...Object.entries(pathIds).map(([name, id]) => `"path.${name}" = ${JSON.stringify(id)}`), ''].join('\n');
}

describe('schemathesis against the edge\'s OpenAPI document', () => {
  let python: string;
  let whole: WholePlatform;
  let secret: string;
  let configFile: string;
  const reportDir = mkdtempSync(join(tmpdir(), 'keyward-schemathesis-'));

  beforeAll(async () => {
    const [installed, started] = await Promise.all([
      ensureSchemathesis(),
      startWholePlatform({ AUTH_FAILURE_LIMIT: '1000000' }),
    ]);
    python = installed;
    whole = started;
    const keys = new KeysApi(whole.edge.url, whole.admin);
    const tenantPermissions = ALL_PERMISSIONS;
    secret = (await keys.create({ kind: 'private', name: 'schemathesis', permissions: tenantPermissions })).secret;
    await waitUntilEveryServiceKnows(whole.edge.url, secret);
    configFile = join(reportDir, 'schemathesis.toml');
    writeFileSync(configFile, toml(await seed(whole.edge.url, secret, keys)));
  }, 420_000);

  afterAll(async () => {
    await whole?.platform.close();
    rmSync(reportDir, { recursive: true, force: true });
  }, 120_000);

  it('finds no server error and nothing the document does not describe', async () => {
    const junit = join(reportDir, 'junit.xml');
    const { code, output } = await run(python, [
      '-m', 'schemathesis.cli', '--config-file', configFile, 'run', `${whole.edge.url}/openapi.json`,
      '--checks', CHECKS.join(','),
      '--header', `Authorization: Bearer ${secret}`,
      '--phases', 'examples,coverage,fuzzing',
      '--max-examples', String(MAX_EXAMPLES),
      '--max-time', String(MAX_TIME_S),
      // One worker: with two threads Hypothesis' lambda-source cache raced ("AST constructor recursion
      // depth mismatch", a tool error, not a finding) in one CI run.
      '--workers', '1',
      '--seed', '1',
      '--request-timeout', '15',
      '--suppress-health-check', 'all',
      '--report', 'junit', '--report-junit-path', junit,
      '--generation-database', 'none',
      '--no-color',
    ], { timeoutMs: (MAX_TIME_S + 90) * 1000, cwd: reportDir, env: { NO_COLOR: '1' } });
    const problems = existsSync(junit) ? junitProblems(readFileSync(junit, 'utf8')) : [];
    if (code !== 0 || problems.length > 0) {
      console.error(`schemathesis exited ${String(code)} with ${problems.length} failing operation(s):\n`
        + problems.map((p) => `--- ${p.testcase}\n${p.message.slice(0, 4000)}`).join('\n') + `\n--- schemathesis output (tail) ---\n${output.slice(-20_000)}`);
    }
    expect(existsSync(junit)).toBe(true);
    expect(problems.map((p) => p.testcase)).toEqual([]);
    expect(code).toBe(0);
  }, 300_000);
});
