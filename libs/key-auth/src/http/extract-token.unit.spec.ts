import { extractToken } from './extract-token';

const TOKEN = 'kw_sk_0123456789';

describe('extractToken', () => {
  it.each([
    `Bearer ${TOKEN}`,
    `bearer ${TOKEN}`,
    `BEARER ${TOKEN}`,
    `BeArEr ${TOKEN}`,
    `Bearer   ${TOKEN}  `,
    `  Bearer\t${TOKEN}`,
  ])('reads the key from Authorization: %p', (authorization) => {
    expect(extractToken({ authorization })).toBe(TOKEN);
  });

  it('reads the key from X-API-Key, trimmed', () => {
    expect(extractToken({ 'x-api-key': TOKEN })).toBe(TOKEN);
    expect(extractToken({ 'x-api-key': ` ${TOKEN} ` })).toBe(TOKEN);
  });

  it('prefers Authorization when both are sent', () => {
    expect(extractToken({ authorization: `Bearer ${TOKEN}`, 'x-api-key': 'other' })).toBe(TOKEN);
  });

  it('falls back to X-API-Key when Authorization uses another scheme', () => {
    expect(extractToken({ authorization: 'Basic dXNlcjpwYXNz', 'x-api-key': TOKEN })).toBe(TOKEN);
  });

  it.each([
    {},
    { authorization: 'Basic dXNlcjpwYXNz' },
    { authorization: 'Bearer' },
    { authorization: 'Bearer   ' },
    { authorization: `Bearer${TOKEN}` },
    { authorization: `Token ${TOKEN}` },
    { authorization: '' },
    { 'x-api-key': '' },
    { 'x-api-key': '  ' },
  ])('finds no key in %p', (headers) => {
    expect(extractToken(headers)).toBeUndefined();
  });

  it('returns what follows the scheme as is, for authorize to judge', () => {
    expect(extractToken({ authorization: 'Bearer not a key' })).toBe('not a key');
  });

  it('reads a single-element header array, and joins several so that two keys are no key', () => {
    expect(extractToken({ 'x-api-key': [TOKEN] })).toBe(TOKEN);
    expect(extractToken({ 'x-api-key': [TOKEN, TOKEN] })).toBe(`${TOKEN}, ${TOKEN}`);
  });
});
