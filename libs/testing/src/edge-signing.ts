import { randomBytes } from 'node:crypto';
import { EDGE_SIGNATURE_HEADER, EDGE_TIMESTAMP_HEADER, EdgeSigner } from '@keyward/key-auth';

/**
 * The EDGE_SIGNING_SECRET every harness gives the apps it starts (a fresh one per test process),
 * so the edge and the services of one test share it, as one deployment does.
 */
export const TEST_EDGE_SIGNING_SECRET = randomBytes(32).toString('base64url');

/**
 * The auth-failure allowance harnesses give the apps: specs poll with a key that has not reached a
 * projection yet (401 unknown_key) far more often than production's 20 a minute; a spec of the
 * throttle passes AUTH_FAILURE_LIMIT itself.
 */
export const TEST_AUTH_FAILURE_LIMIT = '1000000';

/**
 * The headers the edge would send for a request: for tests that play the edge (or replay it)
 * against a service directly. `timestampMs` defaults to now.
 */
export function edgeSignedHeaders(
  request: { method: string; target: string; requestId: string; clientIp?: string },
  timestampMs = Date.now(),
  secret = TEST_EDGE_SIGNING_SECRET,
): Record<string, string> {
  const signature = new EdgeSigner(secret).sign({ ...request, clientIp: request.clientIp }, timestampMs);
  return {
    'x-request-id': request.requestId,
    ...(request.clientIp !== undefined ? { 'x-forwarded-for': request.clientIp } : {}),
    [EDGE_TIMESTAMP_HEADER]: String(timestampMs),
    [EDGE_SIGNATURE_HEADER]: signature,
  };
}
