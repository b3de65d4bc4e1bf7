import type { EdgeAssertion } from './edge-signature';
import { EDGE_SIGNATURE_HEADER, EDGE_TIMESTAMP_HEADER, EdgeSigner, signedClientIp } from './edge-signature';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';
const NOW = 1_800_000_000_000;
const assertion: EdgeAssertion = { method: 'GET', target: '/v1/devices?limit=2', requestId: 'req-1', clientIp: '10.1.2.3' };

function request(headers: Record<string, string>, socket = '127.0.0.1', method = 'GET') {
  return { method, headers, socket: { remoteAddress: socket } };
}

describe('EdgeSigner', () => {
  const signer = new EdgeSigner(SECRET, 30_000);

  it('verifies its own signature within the window, on either side of the clock', () => {
    const sig = signer.sign(assertion, NOW);
    expect(signer.verify(assertion, String(NOW), sig, NOW)).toBe(true);
    expect(signer.verify(assertion, String(NOW), sig, NOW + 30_000)).toBe(true);
    expect(signer.verify(assertion, String(NOW), sig, NOW - 30_000)).toBe(true);
  });

  it('refuses a replay outside the window', () => {
    const sig = signer.sign(assertion, NOW);
    expect(signer.verify(assertion, String(NOW), sig, NOW + 30_001)).toBe(false);
    expect(signer.verify(assertion, String(NOW), sig, NOW - 30_001)).toBe(false);
  });

  it.each([
    ['method', { ...assertion, method: 'DELETE' }],
    ['target', { ...assertion, target: '/v1/devices' }],
    ['request id', { ...assertion, requestId: 'req-2' }],
    ['client address', { ...assertion, clientIp: '10.1.2.4' }],
    ['missing address', { ...assertion, clientIp: undefined }],
  ])('refuses a signature moved to another %s', (_what, other) => {
    expect(signer.verify(other, String(NOW), signer.sign(assertion, NOW), NOW)).toBe(false);
  });

  it('refuses a changed timestamp, another secret, and malformed headers', () => {
    const sig = signer.sign(assertion, NOW);
    expect(signer.verify(assertion, String(NOW + 1), sig, NOW)).toBe(false);
    expect(new EdgeSigner(`${SECRET}x`).verify(assertion, String(NOW), sig, NOW)).toBe(false);
    expect(signer.verify(assertion, undefined, sig, NOW)).toBe(false);
    expect(signer.verify(assertion, String(NOW), undefined, NOW)).toBe(false);
    expect(signer.verify(assertion, '1e12', sig, NOW)).toBe(false);
    expect(signer.verify(assertion, String(NOW), sig.slice(1), NOW)).toBe(false);
    expect(signer.verify(assertion, String(NOW), 'A'.repeat(43), NOW)).toBe(false);
  });

  it('refuses a secret shorter than 32 characters', () => {
    expect(() => new EdgeSigner('short')).toThrow(/32/);
  });
});

describe('signedClientIp', () => {
  const signer = new EdgeSigner(SECRET, 30_000);
  const signed = (ts = NOW, a: EdgeAssertion = assertion): Record<string, string> => ({
    'x-forwarded-for': a.clientIp ?? '', 'x-request-id': a.requestId, [EDGE_TIMESTAMP_HEADER]: String(ts), [EDGE_SIGNATURE_HEADER]: signer.sign(a, ts),
  });

  it('believes X-Forwarded-For under a valid, fresh signature', () => {
    expect(signedClientIp(signer, request(signed()), assertion.target, NOW)).toBe('10.1.2.3');
  });

  it('judges the socket address without a signature, with a bad one, or a stale one', () => {
    expect(signedClientIp(signer, request({ 'x-forwarded-for': '10.1.2.3', 'x-request-id': 'req-1' }), assertion.target, NOW)).toBe('127.0.0.1');
    expect(signedClientIp(signer, request({ ...signed(), [EDGE_SIGNATURE_HEADER]: 'B'.repeat(43) }), assertion.target, NOW)).toBe('127.0.0.1');
    expect(signedClientIp(signer, request(signed(NOW - 60_000)), assertion.target, NOW)).toBe('127.0.0.1');
    expect(signedClientIp(signer, request({ ...signed(), 'x-forwarded-for': '10.9.9.9' }), assertion.target, NOW)).toBe('127.0.0.1');
    expect(signedClientIp(signer, request(signed(), '::1', 'POST'), assertion.target, NOW)).toBe('::1');
  });

  it('knows no address when the edge signed that it knew none', () => {
    const unknown = { ...assertion, clientIp: undefined };
    expect(signedClientIp(signer, request(signed(NOW, unknown)), unknown.target, NOW)).toBeUndefined();
  });
});
