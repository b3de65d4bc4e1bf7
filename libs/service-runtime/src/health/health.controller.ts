import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { ServiceConfig } from '@keyward/config';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE } from '@keyward/problem';
import { Unlimited } from '../overload/concurrency-limit.interceptor';
import { SERVICE_CONFIG } from '../tokens';
import { ReadinessService } from './readiness.service';

@Controller()
@Unlimited()
export class HealthController {
  private readonly startedAt = Date.now();

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: ServiceConfig,
    private readonly readiness: ReadinessService,
  ) {}

  /** Liveness: the process runs and answers. Never touches a dependency. */
  @Get('health')
  @HttpCode(200)
  health(): { status: 'ok'; service: string; instanceId: string; uptimeSeconds: number } {
    return { status: 'ok', service: this.config.service, instanceId: this.config.instanceId, uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000) };
  }

  /** Readiness: every dependency answers and every feature (projections) has caught up. */
  @Get('ready')
  async ready(@Res() res: Response): Promise<void> {
    const report = await this.readiness.report();
    if (report.ready) {
      res.status(200).json({ status: 'ready', service: this.config.service, instanceId: this.config.instanceId, checks: report.checks });
      return;
    }
    const notReady = Object.entries(report.checks).filter(([, c]) => !c.ready).map(([n, c]) => `${n}: ${c.detail ?? 'not ready'}`);
    res.status(503).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify({
      type: PROBLEM_TYPE_BASE + 'not_ready', title: 'Service not ready', status: 503, code: 'not_ready',
      detail: notReady.join('; '), service: this.config.service, instanceId: this.config.instanceId, checks: report.checks,
    }));
  }
}
