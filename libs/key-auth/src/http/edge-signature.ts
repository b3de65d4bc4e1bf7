import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/**
 * What the edge asserts about a request it forwards, signed so that a service can tell the edge
 * from any other process that reaches its port. A service believes the client address (in
 * X-Forwarded-For) only under a valid, fresh signature; otherwise it judges the socket address.
 *
 * Signed, one per line: the version `v1`, the time in ms, the method, the request target as sent
 * (path and query), the request id and the client address ('' when unknown). The HMAC-SHA256 of
 * that over EDGE_SIGNING_SECRET travels base64url in `x-edge-signature`, the time in
 * `x-edge-timestamp`. A signature is accepted only within `windowMs` of the service's clock
 * (either side, for clock skew), so a captured one cannot be replayed later; within the window it
 * is bound to one method, target, request id and address, so it cannot be moved to another request.
 */
export const EDGE_SIGNATURE_HEADER = 'x-edge-signature';
export const EDGE_TIMESTAMP_HEADER = 'x-edge-timestamp';

export interface EdgeAssertion {
  readonly method: string;
  /** The request target as the service receives it: `/v1/keys?limit=1`. */
  readonly target: string;
  readonly requestId: string;
  /** The client address the edge determined; undefined when it does not know it. */
  readonly clientIp: string | undefined;
}

/** base64url of a 32-byte HMAC-SHA256. */
const SIGNATURE_LENGTH = 43;

export class EdgeSigner {
  private readonly key: KeyObject;

  constructor(secret: string, private readonly windowMs = 30_000) {
    if (secret.length < 32) throw new Error('the edge signing secret must be at least 32 characters');
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  /** The signature of an assertion made at `timestampMs`. */
  sign(assertion: EdgeAssertion, timestampMs: number): string {
    return this.mac(assertion, timestampMs).toString('base64url');
  }

  /**
   * Whether `signature` and `timestamp` (the two headers as received) are the edge's for this
   * request and no older (or newer) than the window. Constant-time in the signature.
   */
  verify(assertion: EdgeAssertion, timestamp: unknown, signature: unknown, nowMs: number): boolean {
    if (typeof timestamp !== 'string' || typeof signature !== 'string' || signature.length !== SIGNATURE_LENGTH) return false;
    if (!/^\d{1,16}$/.test(timestamp)) return false;
    const ts = Number(timestamp);
    if (Math.abs(nowMs - ts) > this.windowMs) return false;
    const given = Buffer.from(signature, 'base64url');
    const expected = this.mac(assertion, ts);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private mac(a: EdgeAssertion, timestampMs: number): Buffer {
    return createHmac('sha256', this.key)
      .update(`v1\n${timestampMs}\n${a.method}\n${a.target}\n${a.requestId}\n${a.clientIp ?? ''}`)
      .digest();
  }
}

/**
 * The client address a service believes: the one the edge signed (X-Forwarded-For, a single
 * address as the edge writes it), or the socket address when the request carries no valid, fresh
 * edge signature — a direct caller cannot claim an address by sending the header.
 */
export function signedClientIp(
  signer: EdgeSigner,
  req: { readonly method?: string | undefined; readonly headers: Readonly<Record<string, string | string[] | undefined>>; readonly socket: { readonly remoteAddress?: string | undefined } },
  target: string,
  nowMs: number,
): string | undefined {
  const headers = req.headers;
  const signature = headers[EDGE_SIGNATURE_HEADER];
  if (signature === undefined) return req.socket.remoteAddress;
  const xff = headers['x-forwarded-for'];
  const requestId = headers['x-request-id'];
  if ((xff !== undefined && typeof xff !== 'string') || typeof requestId !== 'string') return req.socket.remoteAddress;
  const clientIp = xff === undefined || xff === '' ? undefined : xff;
  const ok = signer.verify({ method: req.method ?? '', target, requestId, clientIp }, headers[EDGE_TIMESTAMP_HEADER], signature, nowMs);
  return ok ? clientIp : req.socket.remoteAddress;
}
