/** The state of a projection's live consumer, as operators and the fault suite see it. */
export type ConsumerState = 'running' | 'restarting' | 'stopped';

/** Restart delays of a supervised consumer: 250 ms doubling to 10 s, each up to 20 % shorter at random so instances spread out. */
export function restartDelayMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(10_000, 250 * 2 ** Math.min(attempt, 6));
  return Math.round(base * (0.8 + 0.2 * random()));
}

/** An error's message for logs and status (never a stack: it may be long and says nothing to operators). */
export function errorText(e: unknown): string {
  if (e instanceof Error) {
    const cause = e.cause instanceof Error && e.cause.message !== e.message ? ` (${e.cause.message})` : '';
    return `${e.name}: ${e.message}${cause}`.slice(0, 500);
  }
  return String(e).slice(0, 500);
}
