import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
import type { Response } from 'express';
import { ModuleRef } from '@nestjs/core';
import type { ServiceConfig } from '@keyward/config';
import { topicName } from '@keyward/config';
import { SERVICES } from '@keyward/contracts';
import { MongoEventStore, OUTBOX_PRODUCER } from '@keyward/event-store';
import type { RecordSender } from '@keyward/messaging';
import { ProblemError } from '@keyward/problem';
import type { AppliedStatus, DeadLetterPage, ProjectionStatus, RebuildableProjection, RebuildJobStatus } from '@keyward/projections';
import { DeadLetters, ProjectionRegistry } from '@keyward/projections';
import { entityIdPattern, SERVICE_CONFIG, Unlimited } from '@keyward/service-runtime';
import { AppliedQueryDto } from './applied.dto';
import { DeadLettersQueryDto } from './dead-letters.dto';
import { OperatorGuard } from './operator.guard';
import { RepublishDto } from './rebuild.dto';
import type { RepublishStatus } from './republisher';
import { Republisher } from './republisher';

/** Any aggregate's id (`key_…`, `ses_…`, `tkt_…`): the shape every service's ids have (newId, IdParamPipe). */
const AGGREGATE_ID = entityIdPattern('[a-z]{2,8}');

/**
 * Operator endpoints, on every service and the edge, for the platform's operators only: a request
 * needs one of the OPERATOR_TOKENS (OperatorGuard); to anyone else, API keys included, they do not exist.
 */
@Controller('admin')
@UseGuards(OperatorGuard)
export class OperatorController {
  constructor(
    private readonly registry: ProjectionRegistry,
    private readonly republisher: Republisher,
    private readonly moduleRef: ModuleRef,
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    private readonly deadLetters: DeadLetters,
  ) {}

  @Get('projections')
  async projections(): Promise<{ service: string; projections: ProjectionStatus[] }> {
    return { service: this.config.service, projections: await this.registry.statuses() };
  }

  /**
   * Has this instance applied `version` (or later) of an aggregate, and when (produced, applied,
   * the lag between)? With `waitMs`, a long poll: it answers once the version is applied or the
   * wait is over (`applied: false`). Times are kept for the last changes applied (RECENT_CHANGES).
   */
  @Get('projections/:name/applied/:aggregateId')
  // Waits on the consumer, not on the database: a long poll must not hold one of the request slots.
  @Unlimited()
  async applied(@Param('name') name: string, @Param('aggregateId') aggregateId: string, @Query() query: AppliedQueryDto, @Res({ passthrough: true }) res: Response): Promise<AppliedStatus> {
    const projection = this.assertProjection(name);
    if (!AGGREGATE_ID.test(aggregateId)) {
      throw new ProblemError(400, 'invalid_aggregate_id', 'Invalid aggregate id', 'an aggregate id looks like a lowercase prefix (key, ses, tkt, …), _, then 4 to 64 letters, digits or underscores');
    }
    if (!projection.whenApplied) {
      throw new ProblemError(404, 'not_consumed', 'Projection not consumed', `${this.config.service}'s ${name} projection is written by its own event store, not consumed from a topic; it records no applies`);
    }
    // A caller that goes away stops the wait (the response closes; the request's own close comes once its empty body is read).
    const gone = new AbortController();
    res.once('close', () => gone.abort());
    return projection.whenApplied(aggregateId, query.version ?? 1, query.waitMs ?? 0, gone.signal);
  }

  /** Messages a projection could not parse or apply (see docs/consumers.md), oldest first by position. */
  @Get('dead-letters')
  async listDeadLetters(@Query() query: DeadLettersQueryDto): Promise<DeadLetterPage> {
    if (query.projection !== undefined) this.assertProjection(query.projection);
    return this.deadLetters.list({
      limit: query.limit ?? 50,
      ...(query.projection !== undefined ? { projection: query.projection } : {}),
      ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
    });
  }

  /** Starts rebuilding a projection from the start of its topic; poll the GET for progress. */
  @Post('projections/:name/rebuild')
  @HttpCode(202)
  rebuild(@Param('name') name: string): RebuildJobStatus {
    this.assertProjection(name);
    const { started, job } = this.registry.startRebuild(name);
    if (!started) throw new ProblemError(409, 'rebuild_in_progress', 'Rebuild in progress', `projection ${name} is already being rebuilt (job ${job.id})`, { job });
    return job;
  }

  @Get('projections/:name/rebuild')
  rebuildStatus(@Param('name') name: string): RebuildJobStatus {
    this.assertProjection(name);
    const job = this.registry.job(name);
    if (!job) throw new ProblemError(404, 'no_rebuild', 'No rebuild', `projection ${name} has not been rebuilt since the service started`);
    return job;
  }

  /**
   * Cancels a running rebuild before its swap: the live projection keeps serving, unchanged. 200
   * with the job once it has stopped (state `cancelled`), 202 while it is still stopping.
   */
  @Delete('projections/:name/rebuild')
  async cancelRebuild(@Param('name') name: string, @Res({ passthrough: true }) res: Response): Promise<RebuildJobStatus> {
    this.assertProjection(name);
    const r = await this.registry.cancelRebuild(name);
    switch (r.outcome) {
      case 'cancelled':
        return r.job;
      case 'stopping':
        res.status(202);
        return r.job;
      case 'already_swapped':
        throw new ProblemError(409, 'rebuild_swapped', 'Rebuild already swapped', `the rebuilt ${name} projection is already serving; persisting its views finishes on its own (job ${r.job.id})`, { job: r.job });
      case 'not_running':
        throw new ProblemError(409, 'no_rebuild_running', 'No rebuild running', `projection ${name} has no rebuild running`, { job: r.job });
    }
  }

  /** Republishes this service's own event store to its topic from a position; poll the GET for progress. */
  @Post('event-store/republish')
  @HttpCode(202)
  republish(@Body() body: RepublishDto): RepublishStatus {
    const { store, producer, topic } = this.eventStore();
    const { started, status } = this.republisher.start(store, producer, topic, body.fromPosition ?? 0);
    if (!started) throw new ProblemError(409, 'republish_in_progress', 'Republish in progress', 'a republish is already running', { status });
    return status;
  }

  @Get('event-store/republish')
  republishStatus(): RepublishStatus {
    this.eventStore();
    const status = this.republisher.status();
    if (!status) throw new ProblemError(404, 'no_republish', 'No republish', 'nothing has been republished since the service started');
    return status;
  }

  private assertProjection(name: string): RebuildableProjection {
    const projection = this.registry.get(name);
    if (!projection) {
      throw new ProblemError(404, 'unknown_projection', 'Unknown projection', `${this.config.service} has no projection "${name}"; it has: ${this.registry.names().join(', ')}`);
    }
    return projection;
  }

  private eventStore(): { store: MongoEventStore; producer: RecordSender; topic: string } {
    const own = SERVICES[this.config.service].topic;
    try {
      if (!own) throw new Error('no topic');
      return {
        store: this.moduleRef.get(MongoEventStore, { strict: false }),
        producer: this.moduleRef.get<RecordSender>(OUTBOX_PRODUCER, { strict: false }),
        topic: topicName(this.config, own),
      };
    } catch {
      throw new ProblemError(404, 'no_event_store', 'No event store', `${this.config.service} owns no aggregates, so it has no event store to republish`);
    }
  }
}
