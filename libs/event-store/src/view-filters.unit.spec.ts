import { accountFilter, containsText, fieldIs, fieldWithin } from './view-filters';

describe('list conditions', () => {
  it('keeps the account alone when no parameter was given', () => {
    expect(accountFilter('acc_a', [fieldIs('os', undefined), containsText(['name'], '  '), fieldWithin('createdAt', undefined, undefined)])).toEqual({ accountId: 'acc_a' });
  });

  it('joins the given conditions under the account, in order, leaving out the absent ones', () => {
    expect(accountFilter('acc_a', [fieldIs('os', 'linux'), undefined, fieldIs('status', 'active')])).toEqual({
      $and: [{ accountId: 'acc_a' }, { os: 'linux' }, { status: 'active' }],
    });
  });

  it('bounds a range on the sides given only', () => {
    expect(fieldWithin('createdAt', '2026-01-01T00:00:00.000Z', undefined)).toEqual({ createdAt: { $gte: '2026-01-01T00:00:00.000Z' } });
    expect(fieldWithin('createdAt', undefined, '2026-02-01T00:00:00.000Z')).toEqual({ createdAt: { $lte: '2026-02-01T00:00:00.000Z' } });
    expect(fieldWithin('createdAt', 'a', 'b')).toEqual({ createdAt: { $gte: 'a', $lte: 'b' } });
  });

  it('searches text literally, so a client cannot send a regular expression', () => {
    expect(containsText(['name', 'email'], ' a.b* ')).toEqual({
      $or: [{ name: { $regex: 'a\\.b\\*', $options: 'i' } }, { email: { $regex: 'a\\.b\\*', $options: 'i' } }],
    });
  });

  it('cannot be given an account in a condition that replaces the caller’s', () => {
    // The account is its own conjunct: a condition naming another account can only narrow to nothing.
    expect(accountFilter('acc_a', [fieldIs('accountId', 'acc_b')])).toEqual({ $and: [{ accountId: 'acc_a' }, { accountId: 'acc_b' }] });
  });
});
