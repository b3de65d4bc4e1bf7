import { ProblemError } from '@keyward/problem';

/**
 * A reference is checked against a mirror only once the mirror has caught up with its topic:
 * before that, "unknown" could just mean "not read yet", so the answer is a retriable 503.
 */
export function assertMirrorAvailable(mirror: { available(): { ok: true } | { ok: false; reason: string } }): void {
  const a = mirror.available();
  if (!a.ok) {
    throw new ProblemError(503, 'references_unavailable', 'References cannot be checked yet', `${a.reason}; retry shortly`);
  }
}
