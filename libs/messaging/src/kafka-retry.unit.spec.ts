import { KafkaJSAggregateError, KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { backoffDelay, isTransientKafkaError, withKafkaRetry } from './kafka-retry';

const protocol = (type: string, message: string): KafkaJSProtocolError =>
  new KafkaJSProtocolError(Object.assign(new Error(message), { type, code: 0, retriable: true }));

describe('isTransientKafkaError', () => {
  it.each([
    ['NOT_LEADER_FOR_PARTITION', 'This server is not the leader for that topic-partition'],
    ['UNKNOWN_TOPIC_OR_PARTITION', 'This server does not host this topic-partition'],
    ['LEADER_NOT_AVAILABLE', 'There is no leader for this topic-partition'],
    ['COORDINATOR_LOAD_IN_PROGRESS', 'The coordinator is loading and hence can\'t process requests'],
    ['COORDINATOR_NOT_AVAILABLE', 'The coordinator is not available'],
  ])('retries the protocol error %s', (type, message) => {
    expect(isTransientKafkaError(protocol(type, message))).toBe(true);
  });

  it('retries a transient error wrapped by kafkajs once its own retries ran out', () => {
    const wrapped = new KafkaJSNumberOfRetriesExceeded(protocol('NOT_LEADER_FOR_PARTITION', 'not the leader'), { retryCount: 5, retryTime: 100 });
    expect(isTransientKafkaError(wrapped)).toBe(true);
  });

  it('retries connection errors', () => {
    expect(isTransientKafkaError(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092'))).toBe(true);
  });

  it('retries an aggregate only when every error in it is transient', () => {
    const transient = protocol('LEADER_NOT_AVAILABLE', 'no leader');
    const fatal = protocol('INVALID_REPLICATION_FACTOR', 'Replication factor is invalid');
    expect(isTransientKafkaError(new KafkaJSAggregateError('create', [transient]))).toBe(true);
    expect(isTransientKafkaError(new KafkaJSAggregateError('create', [transient, fatal]))).toBe(false);
  });

  it('does not retry what another attempt cannot fix', () => {
    expect(isTransientKafkaError(protocol('TOPIC_AUTHORIZATION_FAILED', 'Not authorized to access topics'))).toBe(false);
    expect(isTransientKafkaError(new KafkaJSNonRetriableError('Invalid configuration'))).toBe(false);
    expect(isTransientKafkaError(new Error('boom'))).toBe(false);
    expect(isTransientKafkaError(undefined)).toBe(false);
  });
});

describe('withKafkaRetry', () => {
  it('retries a transient failure until the call succeeds', async () => {
    let calls = 0;
    const result = await withKafkaRetry('fetch offsets', async () => {
      calls++;
      if (calls < 3) throw protocol('NOT_LEADER_FOR_PARTITION', 'not the leader');
      return 'offsets';
    }, { initialDelayMs: 1, maxDelayMs: 2 });
    expect(result).toBe('offsets');
    expect(calls).toBe(3);
  });

  it('gives up after the bound of attempts with the last error', async () => {
    let calls = 0;
    const failing = withKafkaRetry('list topics', async () => {
      calls++;
      throw protocol('LEADER_NOT_AVAILABLE', `no leader ${calls}`);
    }, { attempts: 4, initialDelayMs: 1, maxDelayMs: 2 });
    await expect(failing).rejects.toThrow('no leader 4');
    expect(calls).toBe(4);
  });

  it('does not retry a permanent error', async () => {
    let calls = 0;
    await expect(withKafkaRetry('create topics', async () => {
      calls++;
      throw protocol('INVALID_REPLICATION_FACTOR', 'bad factor');
    }, { initialDelayMs: 1 })).rejects.toThrow('bad factor');
    expect(calls).toBe(1);
  });

  it('stops retrying once aborted', async () => {
    const abort = new AbortController();
    let calls = 0;
    await expect(withKafkaRetry('describe cluster', async () => {
      calls++;
      abort.abort();
      throw new KafkaJSConnectionError('Connection error: ECONNREFUSED');
    }, { signal: abort.signal, initialDelayMs: 1 })).rejects.toThrow('ECONNREFUSED');
    expect(calls).toBe(1);
  });
});

describe('backoffDelay', () => {
  it('grows exponentially within the cap, jittered into the upper half', () => {
    expect(backoffDelay(1, 100, 2000, () => 0)).toBe(50);
    expect(backoffDelay(1, 100, 2000, () => 1)).toBe(100);
    expect(backoffDelay(4, 100, 2000, () => 1)).toBe(800);
    expect(backoffDelay(20, 100, 2000, () => 1)).toBe(2000);
  });
});
