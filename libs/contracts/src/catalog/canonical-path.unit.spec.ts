import { isCanonicalPath, pathOf } from './canonical-path';
import { RouteTable } from './route-table';

describe('isCanonicalPath: the path rule the edge and every service share', () => {
  it.each(['/', '/v1/keys', '/v1/keys/key_AbC123', '/v1/sessions/history', '/health', '/admin/projections', '/v1/keys/a.b'])('accepts %s', (p) => {
    expect(isCanonicalPath(p)).toBe(true);
  });

  it.each([
    '', 'v1/keys', '//v1/keys', '/v1//keys', '/v1/keys/', '/v1/./keys', '/v1/keys/..', '/v1/../admin/projections',
    '/v1/keys%2Fkey_1', '/v1/%2e%2e/admin', '/v1/keys/%6bey', '/v1\\keys', '/v1/ke ys', '/v1/k\u00e9ys',
  ])('refuses %j', (p) => {
    expect(isCanonicalPath(p)).toBe(false);
  });

  it('takes the path out of a request target', () => {
    expect(pathOf('/v1/keys?limit=1')).toBe('/v1/keys');
    expect(pathOf('/v1/keys')).toBe('/v1/keys');
  });
});

describe('RouteTable', () => {
  const table = new RouteTable();

  it('matches literal segments case-sensitively', () => {
    expect(table.match('GET', '/v1/keys').route?.template).toBe('/v1/keys');
    expect(table.match('GET', '/V1/keys').route).toBeUndefined();
    expect(table.knows('/V1/keys')).toBe(false);
    expect(table.knows('/v1/keys/key_1/events')).toBe(true);
  });

  it('answers HEAD for every GET route, with the GET permission', () => {
    const head = table.match('HEAD', '/v1/sessions/history').route;
    expect(head?.permission).toBe('sessions:history:read');
    expect(table.match('HEAD', '/v1/sessions').route).toBeUndefined();
    expect(table.match('HEAD', '/v1/sessions').allowed).toContain('POST');
  });

  it('prefers a literal route over a parameterised one', () => {
    expect(table.match('GET', '/v1/sessions/history').route?.template).toBe('/v1/sessions/history');
    expect(table.match('GET', '/v1/sessions/ses_1').route?.template).toBe('/v1/sessions/:sessionId');
  });
});
