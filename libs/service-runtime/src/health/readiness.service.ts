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

/** Each check gets this long; /ready answers within about it, whatever a dependency does. */
export const READINESS_CHECK_DEADLINE_MS = 700;

/** What /ready asks. The runtime registers the database and Kafka; features add their own. */
@Injectable()
export class ReadinessService {
  private readonly checks: ReadinessCheck[] = [];
  /**
   * A check still running from an earlier /ready is joined, not started again: a dependency that
   * hangs must not collect one pending probe per request.
   */
  private readonly inFlight = new Map<string, Promise<{ ready: boolean; detail?: string }>>();

  register(check: ReadinessCheck): void {
    this.checks.push(check);
  }

  async report(deadlineMs: number = READINESS_CHECK_DEADLINE_MS): Promise<ReadinessReport> {
    const results = await Promise.all(this.checks.map(async (c) => [c.name, await this.run(c, deadlineMs)] as const));
    return { ready: results.every(([, r]) => r.ready), checks: Object.fromEntries(results) };
  }

  private async run(c: ReadinessCheck, deadlineMs: number): Promise<{ ready: boolean; detail?: string }> {
    let pending = this.inFlight.get(c.name);
    if (!pending) {
      pending = (async () => c.check())().catch((e: unknown) => ({ ready: false, detail: e instanceof Error ? e.message : String(e) }));
      const started = pending;
      this.inFlight.set(c.name, started);
      void started.finally(() => { if (this.inFlight.get(c.name) === started) this.inFlight.delete(c.name); });
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<{ ready: boolean; detail: string }>((resolve) => {
      timer = setTimeout(() => resolve({ ready: false, detail: `no answer within ${deadlineMs} ms` }), deadlineMs);
    });
    try {
      return await Promise.race([pending, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}
