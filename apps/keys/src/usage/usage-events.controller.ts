import { Controller } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import type { KeyUsageRecordedEnvelope, UsageEventDataByType } from '@keyward/contracts';
import type { ApplyOutcome } from '@keyward/service-runtime';
import type { UsageBatch } from './usage.projector';

/**
 * How the keys service follows keys.usage: each report joins the batch UsageProjector is reading,
 * which writes the whole batch to the usage read model once the batch is read (one write per batch,
 * not per report; per (key, minute, source) dedup is in UsageRepository.apply).
 */
@Controller()
export class UsageEventsController {
  @EventPattern('KeyUsageRecorded' satisfies keyof UsageEventDataByType)
  usageRecorded(report: KeyUsageRecordedEnvelope, batch: UsageBatch): ApplyOutcome {
    batch.add(report);
    return 'applied';
  }
}
