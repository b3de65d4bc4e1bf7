import type { ServiceName } from '@keyward/contracts';
import type { AdminKey } from './platform';
import { dropTestDatabases, Platform } from './platform';
import type { ServiceProcess } from './service-process';
import { startServiceProcess } from './service-process';

/**
 * A platform whose services run as several instances, each its own process (docs/scaling.md):
 * the instances of a service share its database and the platform's topics, and differ only in
 * their port (and so in their default INSTANCE_ID). An instance is stopped, killed, paused and
 * restarted on its own port, by service and index.
 */
export class ScaledPlatform {
  readonly platform = new Platform();
  private readonly instances = new Map<string, ServiceProcess>();
  private readonly ports = new Map<string, number>();

  get prefix(): string {
    return this.platform.prefix;
  }

  env(service: ServiceName, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
    return this.platform.env(service, extra);
  }

  /** Starts instance `index` of `service` (again on its earlier port when it ran before). */
  async start(service: ServiceName, index: number, extraEnv: Readonly<Record<string, string>> = {}, readyTimeoutMs = 120_000): Promise<ServiceProcess> {
    const name = `${service}#${index}`;
    if (this.instances.has(name)) throw new Error(`${name} is already running`);
    const port = this.ports.get(name);
    const proc = await startServiceProcess(service, {
      env: this.platform.env(service, extraEnv), database: this.platform.database(service), readyTimeoutMs, ...(port !== undefined ? { port } : {}),
    });
    this.instances.set(name, proc);
    this.ports.set(name, proc.port);
    return proc;
  }

  instance(service: ServiceName, index: number): ServiceProcess {
    const proc = this.instances.get(`${service}#${index}`);
    if (!proc) throw new Error(`${service}#${index} is not running`);
    return proc;
  }

  /** Every running instance of `service`, by index. */
  all(service: ServiceName): ServiceProcess[] {
    return [...this.instances].filter(([name]) => name.startsWith(`${service}#`)).sort(([a], [b]) => a.localeCompare(b)).map(([, p]) => p);
  }

  /** Stops (or kills, with SIGKILL) one instance; start() brings it back on the same port. */
  async stop(service: ServiceName, index: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const proc = this.instance(service, index);
    this.instances.delete(`${service}#${index}`);
    return proc.stop(signal);
  }

  bootstrapAdmin(accountId = 'acc_main'): Promise<AdminKey> {
    return this.platform.bootstrapAdmin(accountId);
  }

  async close(): Promise<void> {
    const procs = [...this.instances.values()];
    this.instances.clear();
    await Promise.all(procs.map((p) => p.stop()));
    await this.platform.close();
    await dropTestDatabases([...this.platform.databases.values()]);
  }
}
