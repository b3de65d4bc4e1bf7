import { JOIN_CODE_PATTERN } from '../domain';
import { newJoinCode } from './join-code';

describe('join code', () => {
  it('is 6 digits grouped 3-3, leading zeros kept, and varies', () => {
    const codes = Array.from({ length: 500 }, () => newJoinCode());
    for (const c of codes) expect(c).toMatch(JOIN_CODE_PATTERN);
    expect(new Set(codes).size).toBeGreaterThan(450);
  });
});
