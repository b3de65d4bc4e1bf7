/**
 * Counts authentication failures per client address in a fixed window. An address over the
 * limit gets 429 for its failing requests until the window ends; a request with a valid key is
 * never held back (it is authorized before this is asked), so a shared address such as an office
 * NAT does not lock out its legitimate callers.
 */
export class AuthFailureThrottle {
  private readonly windows = new Map<string, { count: number; resetAtMs: number }>();

  constructor(private readonly maxFailures: number, private readonly windowMs: number) {}

  /** Records a failure; returns the seconds to wait when the address is over the limit. */
  fail(address: string, nowMs: number): number | undefined {
    let w = this.windows.get(address);
    if (!w || w.resetAtMs <= nowMs) {
      w = { count: 0, resetAtMs: nowMs + this.windowMs };
      this.windows.set(address, w);
      if (this.windows.size > 100_000) this.sweep(nowMs);
    }
    w.count++;
    return w.count > this.maxFailures ? Math.max(1, Math.ceil((w.resetAtMs - nowMs) / 1000)) : undefined;
  }

  /** Bounded memory: forget windows that have ended. */
  private sweep(nowMs: number): void {
    for (const [a, w] of this.windows) if (w.resetAtMs <= nowMs) this.windows.delete(a);
  }
}
