import { Injectable } from '@nestjs/common';

export interface ReadinessCheck {
  readonly name: string;
  /** Resolves with details when ready; rejects (or returns ready: false) with the reason when not. */
  check(): Promise<{ ready: boolean; detail?: string }>;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: Record<string, { ready: boolean; detail?: string }>;
}

/** What /ready asks. The runtime registers the database and Kafka; features add their own. */
@Injectable()
export class ReadinessService {
  private readonly checks: ReadinessCheck[] = [];

  register(check: ReadinessCheck): void {
    this.checks.push(check);
  }

  async report(): Promise<ReadinessReport> {
    const results = await Promise.all(this.checks.map(async (c) => {
      try {
        return [c.name, await c.check()] as const;
      } catch (e) {
        return [c.name, { ready: false, detail: e instanceof Error ? e.message : String(e) }] as const;
      }
    }));
    return { ready: results.every(([, r]) => r.ready), checks: Object.fromEntries(results) };
  }
}
