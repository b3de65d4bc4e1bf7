import { ConsumerRestarts, errorText, restartDelayMs } from './consumer-faults';

describe('supervised restarts', () => {
  it('waits 250 ms, doubling to at most 10 s, each within -20 % of its step', () => {
    const lowest = [0, 1, 2, 3, 4, 5, 6, 10].map((a) => restartDelayMs(a, () => 0));
    const highest = [0, 1, 2, 3, 4, 5, 6, 10].map((a) => restartDelayMs(a, () => 1));
    expect(highest).toEqual([250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(lowest).toEqual([200, 400, 800, 1600, 3200, 6400, 8000, 8000]);
  });

  it('names an error and its cause, without the stack', () => {
    const e = new Error('The coordinator is not aware of this member', { cause: new Error('UNKNOWN_MEMBER_ID') });
    expect(errorText(e)).toBe('Error: The coordinator is not aware of this member (UNKNOWN_MEMBER_ID)');
    expect(errorText('x'.repeat(600))).toHaveLength(500);
  });
});

describe('ConsumerRestarts', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('keeps one restart pending, waits longer after each failure in a row, and short again after a healthy run', () => {
    const restarts = new ConsumerRestarts();
    const ran: number[] = [];
    const first = restarts.schedule(() => ran.push(1), 0);
    // A second failure while the restart is pending schedules nothing.
    expect(restarts.schedule(() => ran.push(99), 0)).toBeUndefined();
    expect(restarts.pending).toBe(true);
    jest.advanceTimersByTime(first ?? 0);
    expect(ran).toEqual([1]);
    expect(restarts.pending).toBe(false);
    // Failed again at once: the next step (500 ms, up to 20 % shorter).
    const second = restarts.schedule(() => ran.push(2), 1_000) ?? 0;
    expect(second).toBeGreaterThanOrEqual(400);
    expect(second).toBeLessThanOrEqual(500);
    jest.advanceTimersByTime(second);
    // Ran for more than 30 s, then failed: back to the first step.
    restarts.running(2_000);
    const third = restarts.schedule(() => ran.push(3), 40_000) ?? 0;
    expect(third).toBeLessThanOrEqual(250);
    expect(restarts.total).toBe(3);
    restarts.cancel();
    jest.advanceTimersByTime(10_000);
    expect(ran).toEqual([1, 2]);
  });
});
