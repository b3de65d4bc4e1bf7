import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { AdminKey, ServiceProcess } from '@keyward/testing';
import { Platform, TEST_OPERATOR_TOKEN } from '@keyward/testing';

const CLI = resolve(__dirname, 'cli.mjs');
/** The CLI reads the operator token from the environment. */
const operator = { KEYWARD_OPERATOR_TOKEN: TEST_OPERATOR_TOKEN };

function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    child.once('exit', (code) => done({ code, out }));
  });
}

/** The operator CLI against a running service: help, status, a rebuild with progress, a republish. */
describe('npm run replay (tools/replay)', () => {
  const platform = new Platform();
  let admin: AdminKey;
  let keys: ServiceProcess;

  beforeAll(async () => {
    admin = await platform.bootstrapAdmin('acc_replay');
    keys = await platform.start('keys');
  }, 120_000);

  afterAll(async () => {
    await platform.close();
  });

  it('explains itself with --help', async () => {
    const { code, out } = await runCli(['--help']);
    expect(code).toBe(0);
    expect(out).toMatch(/status[\s\S]*rebuild[\s\S]*republish/);
  });

  it('refuses to run without an operator token, saying how to give one', async () => {
    const { code, out } = await runCli(['status', '--service', 'keys', '--url', keys.url], { KEYWARD_OPERATOR_TOKEN: '' });
    expect(code).toBe(2);
    expect(out).toContain('KEYWARD_OPERATOR_TOKEN');
  });

  it('is refused with an account\'s admin key, and says the token was not accepted', async () => {
    const { code, out } = await runCli(['status', '--service', 'keys', '--url', keys.url], { KEYWARD_OPERATOR_TOKEN: admin.secret });
    expect(code).toBe(1);
    expect(out).toMatch(/404 not_found: it did not accept the operator token/);
  });

  it('shows the projections of a service', async () => {
    const { code, out } = await runCli(['status', '--service', 'keys', '--url', keys.url], operator);
    expect(code).toBe(0);
    // service, projection, items (the admin key), lag 0
    expect(out).toMatch(/^keys\s+keys\s+1\s+0\s/m);
  });

  it('rebuilds a projection, reporting progress and the result', async () => {
    const { code, out } = await runCli(['rebuild', '--service', 'keys', '--projection', 'keys', '--url', keys.url], operator);
    expect(code).toBe(0);
    expect(out).toMatch(/\[rebuild keys\/keys\] \d+\/\d+ events/);
    expect(out).toMatch(/done and swapped: 1 events applied, 0 duplicates, 0 gaps, 1 items/);
  });

  it('republishes the event store and says so', async () => {
    const { code, out } = await runCli(['republish', '--service', 'keys', '--from', '0', '--url', keys.url], operator);
    expect(code).toBe(0);
    expect(out).toMatch(/done: 1 events republished from position 0/);
  });

  it('names the service that does not answer', async () => {
    const { code, out } = await runCli(['status', '--service', 'devices', '--url', 'http://127.0.0.1:1'], operator);
    expect(code).toBe(1);
    expect(out).toMatch(/devices at http:\/\/127\.0\.0\.1:1 does not answer/);
  });
});
