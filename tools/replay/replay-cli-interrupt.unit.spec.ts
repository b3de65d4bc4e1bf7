import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';

// Ctrl-C (SIGINT) on `npm run replay -- rebuild` while the rebuild runs: the rebuild belongs to the
// service, so the CLI only stops watching (exit 130, saying how to watch or cancel it) and sends no
// cancel; with --cancel-on-interrupt it cancels. The service is a stand-in that records every
// request the CLI makes (its rebuild never finishes), so what the CLI sends is all that is tested.

const CLI = resolve(__dirname, 'cli.mjs');
const TOKEN = 'operator-token-for-the-interrupt-spec-0123456789';

interface StandIn {
  readonly url: string;
  readonly requests: string[];
  close(): Promise<void>;
}

function runningJob(state: 'running' | 'cancelled'): Record<string, unknown> {
  return {
    id: 'job-1', projection: 'keys', state, phase: 'reading', swapped: false, startedAt: new Date().toISOString(),
    deadline: new Date(Date.now() + 60_000).toISOString(), finishedAt: null,
    progress: { read: 10, target: 1_000, lag: 990, eventsPerSecond: 20 }, result: null, error: state === 'cancelled' ? 'cancelled by an operator' : null,
  };
}

async function standIn(): Promise<StandIn> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method ?? ''} ${req.url ?? ''}`);
    const body = req.method === 'DELETE' ? runningJob('cancelled') : runningJob('running');
    res.writeHead(req.method === 'POST' ? 202 : 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((r) => server.close(() => r())) };
}

/** Starts a rebuild, sends SIGINT once the CLI has reported progress, and resolves with its exit code and output. */
async function interruptedRebuild(url: string, extra: string[] = []): Promise<{ code: number | null; out: string }> {
  const child: ChildProcess = spawn(process.execPath, [CLI, 'rebuild', '--service', 'sessions', '--projection', 'keys', '--url', url, ...extra], {
    env: { ...process.env, KEYWARD_OPERATOR_TOKEN: TOKEN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let interrupted = false;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const onData = (d: Buffer): void => {
    out += d.toString();
    if (!interrupted && /events \(1\.0%\)/.test(out)) {
      interrupted = true;
      child.kill('SIGINT');
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  try {
    return { code: await exited, out };
  } finally {
    clearTimeout(timer);
  }
}

describe('npm run replay -- rebuild, interrupted with Ctrl-C', () => {
  let service: StandIn;

  beforeEach(async () => {
    service = await standIn();
  });

  afterEach(async () => {
    await service.close();
  });

  it('detaches: stops watching, says the rebuild goes on and how to cancel it, and sends no cancel', async () => {
    const { code, out } = await interruptedRebuild(service.url);
    expect(code).toBe(130);
    expect(out).toMatch(/stopped watching; the rebuild goes on/);
    expect(out).toMatch(/npm run replay -- cancel --service sessions --projection keys/);
    expect(service.requests.filter((r) => r.startsWith('DELETE'))).toEqual([]);
    expect(service.requests[0]).toBe('POST /admin/projections/keys/rebuild');
    expect(service.requests.filter((r) => r === 'GET /admin/projections/keys/rebuild').length).toBeGreaterThan(0);
  });

  it('cancels the rebuild instead when run with --cancel-on-interrupt', async () => {
    const { code, out } = await interruptedRebuild(service.url, ['--cancel-on-interrupt']);
    expect(code).toBe(130);
    expect(out).toMatch(/cancelled in phase reading/);
    expect(service.requests.filter((r) => r.startsWith('DELETE'))).toEqual(['DELETE /admin/projections/keys/rebuild']);
  });
});
