import { performance } from 'node:perf_hooks';

/** Milliseconds of this process's CPU time (user + system): a rate that a busy machine's other work does not dilute. */
export function cpuClockMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Checks per second of `check` over `pool` for about `ms` of `clock` (wall time by default; pass
 * cpuClockMs for CPU time). The sum of the results is kept, so the checks cannot be optimized away.
 */
export function checkRate(check: (token: string) => number, pool: readonly string[], ms: number, clock: () => number = () => performance.now()): number {
  let sink = 0;
  let ops = 0;
  let i = 0;
  const start = clock();
  const end = start + ms;
  let now = start;
  do {
    for (let j = 0; j < 256; j++) {
      sink += check(pool[i] as string);
      i = i + 1 === pool.length ? 0 : i + 1;
    }
    ops += 256;
    now = clock();
  } while (now < end);
  if (sink < 0) process.stderr.write('unreachable\n');
  return (ops * 1000) / (now - start);
}
