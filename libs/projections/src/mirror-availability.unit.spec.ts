import { ProblemError } from '@keyward/problem';
import { assertMirrorAvailable } from './mirror-availability';

describe('reference checks against a mirror', () => {
  it('go ahead once the mirror has caught up', () => {
    expect(() => assertMirrorAvailable({ available: () => ({ ok: true }) })).not.toThrow();
  });

  it('answer a retriable 503 while the mirror is still catching up, rather than a wrong "unknown"', () => {
    let thrown: unknown;
    try {
      assertMirrorAvailable({ available: () => ({ ok: false, reason: 'the technicians projection is still catching up' }) });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ProblemError);
    expect(thrown).toMatchObject({ status: 503, code: 'references_unavailable', detail: expect.stringMatching(/catching up; retry shortly/) });
  });
});
