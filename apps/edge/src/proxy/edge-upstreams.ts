import { lookup } from 'node:dns/promises';
import type { OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ServiceConfig, UpstreamService } from '@keyward/config';
import { UPSTREAM_MAX_EJECT_MS, UPSTREAM_SERVICE_NAMES } from '@keyward/config';
import type { Clock } from '@keyward/service-runtime';
import { CLOCK, Metrics, SERVICE_CONFIG } from '@keyward/service-runtime';
import type { BalancerDeps } from './upstream-balancer';
import { UpstreamBalancer } from './upstream-balancer';

/** The most the edge's start waits for the first health round (DNS names, first checks). */
const FIRST_ROUND_MS = 2_000;

/**
 * Every service's instances as the edge sees them (docs/edge-balancing.md): one UpstreamBalancer
 * per service, each instance with its own undici pool and in-flight bound, health-checked from the
 * start until the edge stops.
 */
@Injectable()
export class EdgeUpstreams implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('EdgeUpstreams');
  private readonly balancers: ReadonlyMap<UpstreamService, UpstreamBalancer>;

  constructor(@Inject(SERVICE_CONFIG) config: ServiceConfig, @Inject(CLOCK) clock: Clock, metrics: Metrics) {
    const { edgeUpstreams: up, limits } = config;
    const deps: BalancerDeps = {
      clock,
      metrics,
      log: (level, message) => this.logger[level](message),
      resolve: async (hostname) => (await lookup(hostname, { all: true })).map((a) => a.address),
    };
    const options = {
      limits: { maxConcurrent: limits.upstreamMaxInFlight, maxQueued: up.maxQueued, maxQueueWaitMs: up.maxQueueWaitMs },
      timeoutMs: up.timeoutMs,
      slowAnswerMs: up.slowAnswerMs,
      ejectMs: up.ejectMs,
      maxEjectMs: Math.max(UPSTREAM_MAX_EJECT_MS, up.ejectMs),
      healthIntervalMs: up.healthIntervalMs,
    };
    this.balancers = new Map(UPSTREAM_SERVICE_NAMES.map((s) => [s, new UpstreamBalancer(s, up.targets[s], options, deps)]));
  }

  /** The first round is awaited (bounded): DNS names have instances, and known-down ones are not tried first. */
  async onModuleInit(): Promise<void> {
    const first = Promise.all([...this.balancers.values()].map((b) => b.start()));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([first, new Promise((r) => { timer = setTimeout(r, FIRST_ROUND_MS); })]);
    clearTimeout(timer);
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([...this.balancers.values()].map((b) => b.close()));
  }

  balancer(service: UpstreamService): UpstreamBalancer {
    const b = this.balancers.get(service);
    if (!b) throw new Error(`no upstream ${service}`);
    return b;
  }
}
