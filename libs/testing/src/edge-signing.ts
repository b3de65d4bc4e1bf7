import { createHmac, randomBytes } from 'node:crypto';

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
  // The format of EdgeSigner (libs/key-auth/src/http/edge-signature.ts), written out here because
  // key-auth's own specs use this library; edge-trust.e2e proves the two agree (a signature made
  // here is believed by a service).
  const signature = createHmac('sha256', secret)
    .update(`v1\n${timestampMs}\n${request.method}\n${request.target}\n${request.requestId}\n${request.clientIp ?? ''}`)
    .digest('base64url');
  return {
    'x-request-id': request.requestId,
    ...(request.clientIp !== undefined ? { 'x-forwarded-for': request.clientIp } : {}),
    'x-edge-timestamp': String(timestampMs),
    'x-edge-signature': signature,
  };
}
