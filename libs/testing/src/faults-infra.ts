import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Kafka } from 'kafkajs';
import mongoose from 'mongoose';
import type { Connection } from 'mongoose';
import type { ServiceName } from '@keyward/contracts';
import { createKafka } from '@keyward/messaging';
import { Platform } from './platform';
import { freePort } from './service-process';
import { waitFor } from './wait-for';

/**
 * Infrastructure a fault test owns: its own Kafka and FerretDB (not the shared ones of the Jest
 * run), on free loopback ports and a temporary data directory, each of which the test can stop
 * (SIGTERM), kill (SIGKILL) and start again on the same ports and the same data.
 *
 * tools/infra/lib is ESM (.mjs) and Jest runs specs as CommonJS through swc, so each server is
 * started by a small `node` process running tools/infra/lib's own start function (the same code
 * as `npm start` and the global set-up). That process holds the server, answers over IPC when it
 * is up, and stops it when told to or when the test process goes away (the IPC channel closes).
 */

const REPO_ROOT = resolve(__dirname, '../../..');
const INFRA_LIB = join(REPO_ROOT, 'tools/infra/lib');

type ComponentName = 'kafka' | 'ferretdb';

/** Runs inside the holder process; reads its orders from KEYWARD_FAULT_INFRA. */
const HOLDER_SCRIPT = `
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
const cfg = JSON.parse(process.env.KEYWARD_FAULT_INFRA);
const log = (m) => process.stderr.write(m + '\\n');
let server;
try {
  if (cfg.component === 'kafka') {
    const { startKafka } = await import(pathToFileURL(join(cfg.lib, 'kafka.mjs')).href);
    server = await startKafka({ dataDir: cfg.dataDir, port: cfg.port, controllerPort: cfg.controllerPort, readyTimeoutMs: cfg.readyTimeoutMs, log });
  } else {
    const { startFerretDb } = await import(pathToFileURL(join(cfg.lib, 'ferretdb.mjs')).href);
    server = await startFerretDb({ dataDir: cfg.dataDir, port: cfg.port, readyTimeoutMs: cfg.readyTimeoutMs, log });
  }
} catch (e) {
  process.send({ type: 'failed', message: String(e && e.stack ? e.stack : e) });
  process.exit(1);
}
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await server.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('disconnect', stop);
process.send({ type: 'ready' });
`;

interface HolderMessage {
  readonly type: 'ready' | 'failed';
  readonly message?: string;
}

function isHolderMessage(m: unknown): m is HolderMessage {
  return typeof m === 'object' && m !== null && 'type' in m && (m.type === 'ready' || m.type === 'failed');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** One server (Kafka or FerretDB) of a fault test: start, stop (SIGTERM), kill (SIGKILL). */
export class InfraServer {
  private holder: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private output = '';

  constructor(
    readonly component: ComponentName,
    readonly dataDir: string,
    readonly port: number,
    private readonly controllerPort?: number,
  ) {}

  get running(): boolean {
    return this.holder !== undefined;
  }

  /** What the holder printed (start-up errors), for failure messages. */
  log(): string {
    return this.output;
  }

  /** Starts the server on its ports and data directory; resolves once a client can use it. */
  async start(timeoutMs = 300_000): Promise<void> {
    if (this.holder) throw new Error(`${this.component} is already running`);
    const child = spawn(process.execPath, ['--input-type=module', '-e', HOLDER_SCRIPT], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        // tools/infra's own readiness bound, inside ours: a busy two-core machine has taken over 90 s.
        KEYWARD_FAULT_INFRA: JSON.stringify({ component: this.component, lib: INFRA_LIB, dataDir: this.dataDir, port: this.port, controllerPort: this.controllerPort, readyTimeoutMs: timeoutMs - 20_000 }),
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.holder = child;
    child.stdout?.on('data', (d: Buffer) => { this.output += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { this.output += d.toString(); });
    this.exited = new Promise((r) => child.once('exit', () => {
      if (this.holder === child) this.holder = undefined;
      r();
    }));
    const answer = new Promise<HolderMessage>((r, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.component} did not start in ${timeoutMs} ms:\n${this.output}`)), timeoutMs);
      child.on('message', (m: unknown) => {
        if (isHolderMessage(m)) {
          clearTimeout(timer);
          r(m);
        }
      });
      void this.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`${this.component} exited during start-up:\n${this.output}`));
      });
    });
    try {
      const m = await answer;
      if (m.type === 'failed') throw new Error(`${this.component} failed to start: ${m.message ?? ''}`);
    } catch (e) {
      await this.kill();
      throw e;
    }
  }

  /** SIGTERM: the server shuts down cleanly (tools/infra kills it after 20 s if it does not). */
  async stop(): Promise<void> {
    const holder = this.holder;
    if (!holder) return;
    holder.kill('SIGTERM');
    await this.exited;
  }

  /** SIGKILL of the server itself (as a crash or the OOM killer would), then its holder. */
  async kill(): Promise<void> {
    const holder = this.holder;
    if (!holder) return;
    const pid = this.serverPid();
    if (pid !== undefined && isAlive(pid)) {
      process.kill(pid, 'SIGKILL');
      await waitFor(`${this.component} (pid ${pid}) to die`, () => !isAlive(pid), { timeoutMs: 10_000, intervalMs: 20 });
    }
    holder.kill('SIGKILL');
    await this.exited;
  }

  /** Synchronous last resort (process exit): kills the server and its holder without waiting. */
  killNow(): void {
    const pid = this.serverPid();
    if (pid !== undefined && isAlive(pid)) process.kill(pid, 'SIGKILL');
    this.holder?.kill('SIGKILL');
  }

  private serverPid(): number | undefined {
    const file = join(this.dataDir, `${this.component}.pid`);
    if (!existsSync(file)) return undefined;
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  }
}

/** A fault test's own Kafka and FerretDB. close() stops both and removes their data. */
export class FaultInfra {
  private closed = false;
  private readonly onExit = (): void => {
    this.kafka.killNow();
    this.ferretdb.killNow();
    rmSync(this.dataDir, { recursive: true, force: true });
  };

  private constructor(readonly dataDir: string, readonly kafka: InfraServer, readonly ferretdb: InfraServer) {
    // Registered at creation: the servers die with the test process however it ends.
    process.once('exit', this.onExit);
  }

  /** Starts Kafka and FerretDB on free ports in a fresh temporary directory. */
  static async start(): Promise<FaultInfra> {
    const dataDir = mkdtempSync(join(tmpdir(), 'keyward-faults-'));
    const [kafkaPort, controllerPort, mongoPort] = [await freePort(), await freePort(), await freePort()];
    const infra = new FaultInfra(
      dataDir,
      new InfraServer('kafka', join(dataDir, 'kafka'), kafkaPort, controllerPort),
      new InfraServer('ferretdb', join(dataDir, 'ferretdb'), mongoPort),
    );
    try {
      await Promise.all([infra.kafka.start(), infra.ferretdb.start()]);
    } catch (e) {
      await infra.close();
      throw e;
    }
    return infra;
  }

  get kafkaBrokers(): string {
    return `127.0.0.1:${this.kafka.port}`;
  }

  get mongodbUri(): string {
    return `mongodb://127.0.0.1:${this.ferretdb.port}/`;
  }

  /** The environment that points a service (or a CLI) at this infrastructure. */
  env(): Record<string, string> {
    return { KAFKA_BROKERS: this.kafkaBrokers, MONGODB_URI: this.mongodbUri };
  }

  /** A Kafka client for the test itself, on this infrastructure's broker. */
  kafkaClient(clientId = 'keyward-fault-test'): Kafka {
    return createKafka({ kafkaBrokers: [this.kafkaBrokers], kafkaClientId: clientId });
  }

  /** A database connection for the test itself (reading a service's store); close it after use. */
  async connect(database: string): Promise<Connection> {
    return mongoose.createConnection(this.mongodbUri, { dbName: database, serverSelectionTimeoutMS: 10_000 }).asPromise();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    process.removeListener('exit', this.onExit);
    await Promise.all([this.kafka.stop(), this.ferretdb.stop()]);
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/**
 * The platform (libs/testing's Platform: every service its own process, one topic prefix, a
 * database per service) on a fault test's own infrastructure instead of the shared one.
 */
export class FaultPlatform extends Platform {
  constructor(readonly infra: FaultInfra) {
    super();
  }

  override env(service: ServiceName, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
    return { ...super.env(service), ...this.infra.env(), ...extra };
  }
}

export * from './load-generator';
