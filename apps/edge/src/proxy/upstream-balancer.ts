import type { UpstreamService, UpstreamTarget } from '@keyward/config';
import type { Clock, Metrics } from '@keyward/service-runtime';
import type { InstanceOptions, InstanceState } from './upstream-instance';
import { UpstreamInstance } from './upstream-instance';

export interface BalancerOptions extends InstanceOptions {
  readonly healthIntervalMs: number;
}

export interface BalancerDeps {
  readonly clock: Clock;
  readonly metrics: Metrics;
  readonly log: (level: 'log' | 'warn', message: string) => void;
  /** Every address of a DNS name (the edge's resolver; a test's own). */
  readonly resolve: (hostname: string) => Promise<readonly string[]>;
}

/** The most a health check may take (a check that takes longer failed). */
const HEALTH_TIMEOUT_MS = 1_000;

/**
 * The instances of one service and the choice among them: least requests in flight (ties taken
 * in turn) among the instances that are up; when none is up, among those failing their check
 * (a busy instance answers /ready slowly), then among ejected ones, since refusing every request
 * would be worse than trying (the answer is then the service's own, or a fast 502).
 *
 * Health: every `healthIntervalMs` each instance's GET /ready is asked (bounded by 1 s); a DNS
 * name is resolved again at each round, so instances that appear or vanish behind it are
 * followed. A connection refused or lost while forwarding ejects an instance at once (passive),
 * without waiting for the next round.
 */
export class UpstreamBalancer {
  private instances: UpstreamInstance[] = [];
  private turn = 0;
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private closed = false;

  constructor(readonly service: UpstreamService, private readonly targets: readonly UpstreamTarget[], private readonly options: BalancerOptions, private readonly deps: BalancerDeps) {
    // Address literals are known at once; a DNS name waits for the first refresh (start()).
    this.instances = targets.filter((t) => !t.resolve).map((t) => this.instance(t.origin));
  }

  /** Resolves DNS names, checks every instance once, then keeps checking every interval. */
  async start(): Promise<void> {
    await this.checkRound();
    this.schedule();
  }

  /** The instances as they are now (for metrics, tests and the documentation fetch). */
  list(): readonly UpstreamInstance[] {
    return this.instances;
  }

  /** The instance to send the next request to, never `exclude` (the one that just failed); undefined when there is none. */
  pick(exclude?: UpstreamInstance): UpstreamInstance | undefined {
    // Up first; else one whose check fails but whose connection worked; else an ejected one whose
    // backoff is over; an instance still in its backoff only when nothing else is left. One pass,
    // nothing allocated: this runs for every forwarded request.
    const now = this.deps.clock.now().getTime();
    const n = this.instances.length;
    const start = n > 0 ? this.turn++ % n : 0;
    let chosen: UpstreamInstance | undefined;
    let chosenRank = Number.POSITIVE_INFINITY;
    for (let k = 0; k < n; k++) {
      const candidate = this.instances[(start + k) % n];
      if (!candidate || candidate === exclude) continue;
      const rank = rankOf(candidate, now);
      if (rank < chosenRank || (rank === chosenRank && chosen !== undefined && candidate.occupancy() < chosen.occupancy())) {
        chosen = candidate;
        chosenRank = rank;
      }
    }
    return chosen;
  }

  /** A forward to `instance` failed on its connection: eject it now, log and count it once. */
  connectionFailed(instance: UpstreamInstance, why: string): void {
    const backoff = instance.connectionFailed(this.deps.clock.now().getTime(), why);
    if (backoff === undefined) return;
    this.deps.metrics.inc('edge_upstream_ejections_total', 'Instances the edge ejected after a failed connection', { service: this.service, instance: instance.origin });
    this.report(instance, 'ejected', `${why}; left out for at least ${backoff} ms`);
  }

  /** How long the answer head took (or that none came in time): the instance's limit adapts (UpstreamInstance.answerTimed). */
  answerTimed(instance: UpstreamInstance, sentAtMs: number, timedOut: boolean): void {
    const limit = instance.answerTimed(sentAtMs, this.deps.clock.now().getTime(), timedOut);
    if (limit !== undefined) {
      this.deps.metrics.set('edge_upstream_limit', 'Requests the edge sends to an upstream instance at once now (adapts to its answer times, up to UPSTREAM_MAX_IN_FLIGHT)', { service: this.service, instance: instance.origin }, limit);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.round?.catch(() => undefined);
    await Promise.all(this.instances.map((i) => i.close()));
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      void this.checkRound().finally(() => this.schedule());
    }, this.options.healthIntervalMs);
    this.timer.unref();
  }

  private checkRound(): Promise<void> {
    this.round ??= this.refreshTargets()
      .then(() => Promise.all(this.instances.map((i) => this.check(i))))
      .then(() => undefined)
      .finally(() => { this.round = undefined; });
    return this.round;
  }

  /** Follows the addresses behind DNS names; an instance still named keeps its pool and state. */
  private async refreshTargets(): Promise<void> {
    if (!this.targets.some((t) => t.resolve)) return;
    const origins: string[] = [];
    for (const target of this.targets) {
      if (!target.resolve) {
        origins.push(target.origin);
        continue;
      }
      const addresses = await this.deps.resolve(target.hostname).catch((e: unknown) => {
        this.deps.log('warn', `${this.service}: ${target.hostname} did not resolve (${e instanceof Error ? e.message : String(e)}); using the name itself`);
        return [];
      });
      // Without an address, undici resolves the name at connect time: one instance, the name.
      if (addresses.length === 0) origins.push(target.origin);
      for (const a of addresses) origins.push(a.includes(':') ? `http://[${a}]:${target.port}` : `http://${a}:${target.port}`);
    }
    const wanted = [...new Set(origins)];
    const kept = this.instances.filter((i) => wanted.includes(i.origin));
    const gone = this.instances.filter((i) => !wanted.includes(i.origin));
    const added = wanted.filter((o) => !kept.some((i) => i.origin === o)).map((o) => this.instance(o));
    if (this.closed) {
      await Promise.all(added.map((i) => i.close()));
      return;
    }
    this.instances = [...kept, ...added];
    for (const i of added) this.deps.log('log', `${this.service}: instance ${i.origin} added`);
    for (const i of gone) {
      this.deps.log('log', `${this.service}: instance ${i.origin} no longer resolved; removed`);
      this.deps.metrics.set('edge_upstream_up', UP_HELP, { service: this.service, instance: i.origin }, 0);
      // Requests still in flight on it finish; close() waits for them.
      void i.close();
    }
  }

  private async check(instance: UpstreamInstance): Promise<void> {
    // Not shorter for a short interval: a busy machine answers slowly, not wrongly (rounds never overlap).
    const timeout = HEALTH_TIMEOUT_MS;
    const started = this.deps.clock.now().getTime();
    let ok = false;
    let why: string | undefined;
    try {
      const { statusCode, body } = await instance.pool.request({
        path: '/ready', method: 'GET', headersTimeout: timeout, bodyTimeout: timeout, signal: AbortSignal.timeout(timeout),
      });
      await body.dump();
      ok = statusCode === 200;
      if (!ok) why = `GET /ready answered ${statusCode}`;
    } catch (e) {
      why = `GET /ready failed (${errorCode(e)})`;
    }
    const changed = instance.checked(this.deps.clock.now().getTime(), started, ok, why);
    if (changed) this.report(instance, changed, why ?? 'GET /ready answered 200');
  }

  private report(instance: UpstreamInstance, state: InstanceState, why: string): void {
    this.deps.metrics.set('edge_upstream_up', UP_HELP, { service: this.service, instance: instance.origin }, state === 'up' ? 1 : 0);
    this.deps.log(state === 'up' ? 'log' : 'warn', `${this.service} instance ${instance.origin} is ${state}: ${why}`);
  }

  private instance(origin: string): UpstreamInstance {
    return new UpstreamInstance(this.service, origin, this.options);
  }
}

const UP_HELP = 'Whether the edge sends requests to an upstream instance (1) or leaves it out (0: failing its /ready check or ejected)';

/** The code of a connection or undici error (ECONNREFUSED, UND_ERR_SOCKET, ...), else its message. */
export function errorCode(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') return code;
  return e instanceof Error ? e.message : String(e);
}

/** Which instances pick() prefers: 0 up, 1 failing its check only, 2 ejected past its backoff, 3 still in it. */
function rankOf(instance: UpstreamInstance, nowMs: number): number {
  const state = instance.state();
  if (state === 'up') return 0;
  if (state !== 'ejected') return 1;
  return instance.ejectionOver(nowMs) ? 2 : 3;
}
