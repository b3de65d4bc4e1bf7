import { Inject, Injectable } from '@nestjs/common';
import type { Clock } from '@keyward/service-runtime';
import { CLOCK } from '@keyward/service-runtime';
import { KeyQueries } from '../application/key-queries';
import type { KeyUsage, UsageGranularity } from './usage-query';
import { documentStarts, keyUsage, usageRange } from './usage-query';
import { UsageRepository } from './usage.repository';

@Injectable()
export class KeyUsageQueries {
  constructor(
    private readonly keys: KeyQueries,
    private readonly usageRepository: UsageRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** A key of the caller's account (another account's answers 404), its usage over the range. */
  async usage(accountId: string, keyId: string, q: { from?: string; to?: string; granularity?: UsageGranularity }): Promise<KeyUsage> {
    const range = usageRange(q, this.clock.now().getTime());
    await this.keys.view(accountId, keyId);
    const starts = documentStarts(range);
    const [hours, days] = await Promise.all([this.usageRepository.hourDocs(keyId, starts.hours), this.usageRepository.dayDocs(keyId, starts.days)]);
    return keyUsage(keyId, accountId, range, hours, days);
  }
}
