import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const CLI = resolve(__dirname, 'cli.mjs');

/** The replay CLI finds a service by the same variables as the edge and npm start: <SERVICE>_URL, <SERVICE>_PORT. */
describe('replay CLI: where a service is', () => {
  const where = (env: Record<string, string>): string => {
    const r = spawnSync(process.execPath, [CLI, 'dead-letters', '--service', 'keys'], {
      env: { PATH: process.env['PATH'] ?? '', KEYWARD_OPERATOR_TOKEN: 'x'.repeat(40), ...env }, encoding: 'utf8', timeout: 20_000,
    });
    return /keys at (\S+) does not answer/.exec(r.stderr)?.[1] ?? `no address in: ${r.stderr}${r.stdout}`;
  };

  it('uses KEYS_URL (the first of a list, as the edge takes it)', () => {
    expect(where({ KEYS_URL: 'http://127.0.0.1:9/,http://127.0.0.1:10' })).toBe('http://127.0.0.1:9');
  });

  it('else the port npm start gave it (KEYS_PORT)', () => {
    expect(where({ KEYS_PORT: '11' })).toBe('http://127.0.0.1:11');
  });
});
