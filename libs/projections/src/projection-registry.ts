import { randomUUID } from 'node:crypto';
import type { BeforeApplicationShutdown } from '@nestjs/common';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { ServiceConfig } from '@keyward/config';
import { SERVICE_CONFIG } from '@keyward/service-runtime';
import type { ProjectionStatus, RebuildableProjection, RebuildJobStatus, RebuildPhase, RebuildProgress } from './projection';
import { RebuildStopped } from './projection';

const NO_PROGRESS: RebuildProgress = { read: 0, target: 0, lag: 0, eventsPerSecond: 0 };
/** REBUILD_TIMEOUT_MS when the registry is made without a service configuration. */
const DEFAULT_TIMEOUT_MS = 30 * 60 * 1000;
/** How long a cancel waits for the rebuild to stop before answering with the job as it is. */
const CANCEL_WAIT_MS = 5000;
/** How long shutdown waits for running rebuilds to stop (the app must stop within 10 s in all). */
const SHUTDOWN_WAIT_MS = 4000;

interface RunningJob {
  readonly controller: AbortController;
  readonly stopped: Promise<void>;
}

export type CancelOutcome =
  | { readonly outcome: 'cancelled' | 'stopping'; readonly job: RebuildJobStatus }
  | { readonly outcome: 'not_running'; readonly job: RebuildJobStatus | null }
  | { readonly outcome: 'already_swapped'; readonly job: RebuildJobStatus };

/**
 * The projections of one service, and their rebuild jobs (one at a time per projection). Each job
 * runs in the background with a deadline (REBUILD_TIMEOUT_MS) and can be cancelled until it swaps;
 * shutdown stops every running job first.
 */
@Injectable()
export class ProjectionRegistry implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Projections');
  private readonly projections = new Map<string, RebuildableProjection>();
  private readonly jobs = new Map<string, RebuildJobStatus>();
  private readonly running = new Map<string, RunningJob>();
  private readonly timeoutMs: number;

  constructor(@Optional() @Inject(SERVICE_CONFIG) config?: ServiceConfig) {
    this.timeoutMs = config?.rebuildTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  register(projection: RebuildableProjection): void {
    this.projections.set(projection.name, projection);
  }

  names(): string[] {
    return [...this.projections.keys()];
  }

  has(name: string): boolean {
    return this.projections.has(name);
  }

  get(name: string): RebuildableProjection | undefined {
    return this.projections.get(name);
  }

  async statuses(): Promise<ProjectionStatus[]> {
    return Promise.all([...this.projections.values()].map(async (p) => ({ ...(await p.status()), rebuild: this.jobs.get(p.name) ?? null })));
  }

  job(name: string): RebuildJobStatus | null {
    return this.jobs.get(name) ?? null;
  }

  /** Starts a rebuild in the background; the answer is the job, whose progress job() reports. */
  startRebuild(name: string): { started: boolean; job: RebuildJobStatus } {
    const projection = this.projections.get(name);
    if (!projection) throw new Error(`no projection named ${name}`);
    const current = this.jobs.get(name);
    if (current?.state === 'running') return { started: false, job: current };
    const startedAt = Date.now();
    const controller = new AbortController();
    const update = (patch: Partial<RebuildJobStatus>): RebuildJobStatus => {
      const job = { ...(this.jobs.get(name) ?? initial), ...patch };
      this.jobs.set(name, job);
      return job;
    };
    const initial: RebuildJobStatus = {
      id: randomUUID(), projection: name, state: 'running', phase: 'reading', swapped: false,
      startedAt: new Date(startedAt).toISOString(), deadline: new Date(startedAt + this.timeoutMs).toISOString(), finishedAt: null,
      progress: NO_PROGRESS, result: null, error: null,
    };
    this.jobs.set(name, initial);
    this.logger.log(`rebuilding projection ${name} from the start of its topic (job ${initial.id}, deadline ${initial.deadline})`);
    const timer = setTimeout(() => {
      controller.abort(new RebuildStopped('timeout', `the rebuild did not finish within REBUILD_TIMEOUT_MS (${this.timeoutMs} ms)`));
    }, this.timeoutMs);
    timer.unref();
    const onPhase = (phase: RebuildPhase): void => {
      update({ phase, swapped: phase === 'persisting' || phase === 'done' });
    };
    const stopped = projection.rebuild((progress) => update({ progress }), controller.signal, onPhase).then((result) => {
      update({ state: 'succeeded', phase: 'done', swapped: true, finishedAt: new Date().toISOString(), result });
      this.logger.log(`rebuilt projection ${name}: ${result.applied} events applied, ${result.duplicates} duplicates, ${result.gaps} gaps, ` +
        `swapped after ${result.swappedAfterMs ?? result.durationMs} ms, done in ${result.durationMs} ms`);
    }, (e: unknown) => {
      const job = this.jobs.get(name) ?? initial;
      const reason: unknown = controller.signal.aborted ? controller.signal.reason : e;
      const stop = reason instanceof RebuildStopped ? reason : undefined;
      const where = job.swapped
        ? 'after the swap: the rebuilt projection serves; views not persisted yet are still the previous ones'
        : `in phase ${job.phase} (${job.progress.read}/${job.progress.target} events read): the live projection kept serving and is unchanged`;
      const cause = stop ? stop.message : e instanceof Error ? e.message : String(e);
      const state = stop && stop.why !== 'timeout' ? 'cancelled' : 'failed';
      update({ state, finishedAt: new Date().toISOString(), error: `${stop?.why === 'cancelled' ? 'cancelled by an operator' : cause} ${where}` });
      const line = `rebuilding projection ${name} ${state === 'cancelled' ? 'stopped' : 'failed'}: ${this.jobs.get(name)?.error ?? ''}`;
      if (state === 'failed') this.logger.error(line);
      else this.logger.warn(line);
    }).finally(() => {
      clearTimeout(timer);
      this.running.delete(name);
    });
    this.running.set(name, { controller, stopped });
    return { started: true, job: initial };
  }

  /**
   * Cancels a running rebuild that has not swapped yet, and waits a little for it to stop. Past
   * the swap the rebuilt projection already serves; its persist finishes on its own.
   */
  async cancelRebuild(name: string): Promise<CancelOutcome> {
    const run = this.running.get(name);
    const job = this.jobs.get(name) ?? null;
    if (!run || job?.state !== 'running') return { outcome: 'not_running', job };
    if (job.swapped) return { outcome: 'already_swapped', job };
    run.controller.abort(new RebuildStopped('cancelled', 'cancelled by an operator'));
    const stopped = await within(run.stopped, CANCEL_WAIT_MS);
    const after = this.jobs.get(name) ?? job;
    if (after.state === 'cancelled') return { outcome: 'cancelled', job: after };
    // It swapped (and finished) in the moment between the check and the abort.
    if (after.swapped) return { outcome: 'already_swapped', job: after };
    return stopped && after.state !== 'running' ? { outcome: 'not_running', job: after } : { outcome: 'stopping', job: after };
  }

  /** Nest, before closing anything: stop every running rebuild (its reader's consumer included). */
  async beforeApplicationShutdown(): Promise<void> {
    const runs = [...this.running.values()];
    if (runs.length === 0) return;
    for (const run of runs) run.controller.abort(new RebuildStopped('shutdown', 'the service is shutting down'));
    if (!(await within(Promise.all(runs.map((r) => r.stopped)), SHUTDOWN_WAIT_MS))) {
      this.logger.warn(`${runs.length} rebuild(s) had not stopped ${SHUTDOWN_WAIT_MS} ms into shutdown; going on`);
    }
  }
}

/** Whether `p` settled within `ms`. */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settledInTime = await Promise.race([
    p.then(() => true, () => true),
    new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), ms); }),
  ]);
  clearTimeout(timer);
  return settledInTime;
}
