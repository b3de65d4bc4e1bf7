import { withTransientRetry } from './transient-retry';

const busy = (): Error => Object.assign(new Error('database is locked (5) (SQLITE_BUSY)'), { name: 'MongoServerError', code: 1 });

describe('withTransientRetry', () => {
  it('repeats an operation that met a busy database until it succeeds', async () => {
    let calls = 0;
    const result = await withTransientRetry(async () => {
      if (++calls < 3) throw busy();
      return 'written';
    }, { initialDelayMs: 1, maxDelayMs: 2 });
    expect(result).toBe('written');
    expect(calls).toBe(3);
  });

  it('gives up after its bound with the busy error (answered 503, never 500)', async () => {
    let calls = 0;
    await expect(withTransientRetry(async () => {
      calls++;
      throw busy();
    }, { attempts: 3, initialDelayMs: 1, maxDelayMs: 2 })).rejects.toThrow('SQLITE_BUSY');
    expect(calls).toBe(3);
  });

  it('does not repeat an error that is not transient (a duplicate key, an unreachable database)', async () => {
    for (const error of [
      Object.assign(new Error('E11000 duplicate key'), { name: 'MongoServerError', code: 11000 }),
      Object.assign(new Error('Server selection timed out'), { name: 'MongoServerSelectionError' }),
    ]) {
      let calls = 0;
      await expect(withTransientRetry(async () => {
        calls++;
        throw error;
      }, { initialDelayMs: 1 })).rejects.toBe(error);
      expect(calls).toBe(1);
    }
  });
});
