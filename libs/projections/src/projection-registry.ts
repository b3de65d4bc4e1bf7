import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import type { ProjectionStatus, RebuildableProjection, RebuildJobStatus, RebuildProgress } from './projection';

const NO_PROGRESS: RebuildProgress = { read: 0, target: 0, lag: 0, eventsPerSecond: 0 };

/** The projections of one service, and their rebuild jobs (one at a time per projection). */
@Injectable()
export class ProjectionRegistry {
  private readonly logger = new Logger('Projections');
  private readonly projections = new Map<string, RebuildableProjection>();
  private readonly jobs = new Map<string, RebuildJobStatus>();

  register(projection: RebuildableProjection): void {
    this.projections.set(projection.name, projection);
  }

  names(): string[] {
    return [...this.projections.keys()];
  }

  has(name: string): boolean {
    return this.projections.has(name);
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
    let job: RebuildJobStatus = {
      id: randomUUID(), projection: name, state: 'running', startedAt: new Date().toISOString(), finishedAt: null,
      progress: NO_PROGRESS, result: null, error: null,
    };
    this.jobs.set(name, job);
    this.logger.log(`rebuilding projection ${name} from the start of its topic (job ${job.id})`);
    void projection.rebuild((progress) => {
      job = { ...job, progress };
      this.jobs.set(name, job);
    }).then((result) => {
      job = { ...job, state: 'succeeded', finishedAt: new Date().toISOString(), result };
      this.jobs.set(name, job);
      this.logger.log(`rebuilt projection ${name}: ${result.applied} events applied, ${result.duplicates} duplicates, ${result.gaps} gaps in ${result.durationMs} ms`);
    }, (e: unknown) => {
      job = { ...job, state: 'failed', finishedAt: new Date().toISOString(), error: e instanceof Error ? e.message : String(e) };
      this.jobs.set(name, job);
      this.logger.error(`rebuilding projection ${name} failed: ${job.error ?? ''}`);
    });
    return { started: true, job };
  }
}
