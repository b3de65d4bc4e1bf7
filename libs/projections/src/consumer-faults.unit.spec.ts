import { errorText, restartDelayMs } from './consumer-faults';

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
