import type { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ServiceConfig } from '@keyward/config';
import { OutboxHooks } from '@keyward/event-store';
import { ProblemError } from '@keyward/problem';
import type { Clock } from '@keyward/service-runtime';
import { CLOCK, SERVICE_CONFIG } from '@keyward/service-runtime';
import { ExpirySchedule } from '../../application/expiry-schedule';
import { KeyCommands } from '../../application/key-commands.service';
import { KeyQueries } from '../../application/key-queries';

/**
 * Records `KeyExpired` for every key whose expiry has passed. Keys stop working at their expiry
 * anyway (every guard compares with the clock); this makes it a fact in the stream. What is due
 * comes from the in-memory ExpirySchedule (filled at start from the read model, in the
 * background, and by every write since), so a sweep costs the due keys, not the key count.
 * Two instances may sweep at once: both decide ExpireKey at the same version, one append wins,
 * the other gets a conflict and, on its next sweep, finds the key expired. Nothing is missed
 * after downtime either: each sweep asks for every overdue key, not for recent ones.
 */
@Injectable()
export class ExpiryScheduler implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('ExpiryScheduler');
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<number> | undefined;
  private loading: Promise<void> | undefined;
  private stopped = false;
  private failing = false;
  /** KEY_EXPIRY_SWEEP_MS. */
  private readonly intervalMs: number;

  constructor(
    private readonly queries: KeyQueries,
    private readonly commands: KeyCommands,
    private readonly schedule: ExpirySchedule,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(SERVICE_CONFIG) config: ServiceConfig,
    private readonly hooks: OutboxHooks,
  ) {
    this.intervalMs = config.keyExpirySweepMs;
  }

  onModuleInit(): void {
    // What the relay publishes, whoever appended it: a key another instance wrote is swept here
    // too (in memory, after the send: nothing is read for it).
    this.hooks.register(async (events) => this.schedule.trackEvents(events));
    // In the background: a large read model takes a while to read, and nothing waits for it
    // (keys stop working at their expiry whether KeyExpired is recorded yet or not).
    this.loading = this.queries.forEachExpirable((k) => this.schedule.track(k.id, k.accountId, k.status, k.expiresAt.getTime()))
      .catch((e: unknown) => this.logger.warn(`could not read the keys' expiries at start (keys written from now on are swept): ${e instanceof Error ? e.message : String(e)}`));
    this.scheduleNext();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.sweeping;
    await this.loading;
  }

  /** One pass over every overdue key; returns how many it expired. */
  async sweep(): Promise<number> {
    let expired = 0;
    for (;;) {
      const due = this.schedule.takeDue(this.clock.now().getTime(), 200);
      for (const [i, key] of due.entries()) {
        try {
          const state = await this.commands.expire(key.accountId, key.keyId);
          if (state.status === 'expired') expired++;
        } catch (e) {
          // Swept again next time: a conflict (another sweeper, a command) or the database away.
          for (const rest of due.slice(i)) this.schedule.retry(rest);
          if (e instanceof ProblemError && e.code === 'concurrent_modification') return expired;
          throw e;
        }
      }
      if (due.length < 200) return expired;
    }
  }

  private scheduleNext(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.sweeping = this.sweep()
        .then((n) => {
          if (n > 0) this.logger.log(`recorded KeyExpired for ${n} key(s)`);
          if (this.failing) this.logger.log('expiry sweep works again');
          this.failing = false;
          return n;
        })
        .catch((e: unknown) => {
          // One line per outage, not one per second while the database is away.
          if (!this.failing) this.logger.warn(`expiry sweep failed, will retry every ${this.intervalMs} ms: ${e instanceof Error ? e.message : String(e)}`);
          this.failing = true;
          return 0;
        })
        .finally(() => this.scheduleNext());
    }, this.intervalMs);
    this.timer.unref();
  }
}
