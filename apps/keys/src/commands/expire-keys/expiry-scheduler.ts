import type { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ProblemError } from '@keyward/problem';
import type { Clock } from '@keyward/service-runtime';
import { CLOCK } from '@keyward/service-runtime';
import { KeyCommandsService } from '../../application/key-commands.service';
import { KeyViewsRepository } from '../../application/key-views.repository';

export const EXPIRY_SWEEP_INTERVAL_MS = Number(process.env['KEY_EXPIRY_SWEEP_MS'] ?? 1000);

/**
 * Records `KeyExpired` for every key whose expiry has passed. Keys stop working at their expiry
 * anyway (every guard compares with the clock); this makes it a fact in the stream.
 * Two instances may sweep at once: both decide ExpireKey at the same version, one append wins,
 * the other gets a conflict and, on its next sweep, finds the key expired. Nothing is missed
 * after downtime either: each sweep asks for every overdue key, not for recent ones.
 */
@Injectable()
export class ExpiryScheduler implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('ExpiryScheduler');
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<number> | undefined;
  private stopped = false;
  private failing = false;

  constructor(
    private readonly views: KeyViewsRepository,
    private readonly commands: KeyCommandsService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.schedule();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.sweeping;
  }

  /** One pass over every overdue key; returns how many it expired. */
  async sweep(): Promise<number> {
    let expired = 0;
    for (;;) {
      const due = await this.views.dueForExpiry(this.clock.now(), 200);
      let progressed = 0;
      for (const key of due) {
        try {
          const state = await this.commands.execute(key._id, { type: 'ExpireKey', data: {} }, { accountId: key.accountId });
          if (state.status === 'expired') progressed++;
        } catch (e) {
          if (e instanceof ProblemError && e.code === 'concurrent_modification') continue;
          throw e;
        }
      }
      expired += progressed;
      if (due.length < 200 || progressed === 0) return expired;
    }
  }

  private schedule(): void {
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
          if (!this.failing) this.logger.warn(`expiry sweep failed, will retry every ${EXPIRY_SWEEP_INTERVAL_MS} ms: ${e instanceof Error ? e.message : String(e)}`);
          this.failing = true;
          return 0;
        })
        .finally(() => this.schedule());
    }, EXPIRY_SWEEP_INTERVAL_MS);
    this.timer.unref();
  }
}
