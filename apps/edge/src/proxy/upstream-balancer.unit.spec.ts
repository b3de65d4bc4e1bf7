import type { UpstreamTarget } from '@keyward/config';
import { Metrics } from '@keyward/service-runtime';
import { ManualClock } from '@keyward/testing';
import { UpstreamBalancer } from './upstream-balancer';
import type { UpstreamInstance } from './upstream-instance';

const target = (port: number): UpstreamTarget => ({ origin: `http://127.0.0.1:${port}`, hostname: '127.0.0.1', port, resolve: false });
const OPTIONS = { limits: { maxConcurrent: 2, maxQueued: 1, maxQueueWaitMs: 50 }, timeoutMs: 1000, slowAnswerMs: 250, ejectMs: 1000, maxEjectMs: 30_000, healthIntervalMs: 1000 };

describe('UpstreamBalancer: which instance gets the next request', () => {
  const clock = new ManualClock();
  const logs: string[] = [];
  let balancer: UpstreamBalancer;
  let a: UpstreamInstance;
  let b: UpstreamInstance;
  let c: UpstreamInstance;

  beforeEach(() => {
    logs.length = 0;
    balancer = new UpstreamBalancer('tickets', [target(4001), target(4002), target(4003)], OPTIONS, {
      clock, metrics: new Metrics(), log: (_l, m) => logs.push(m), resolve: () => Promise.resolve([]),
    });
    const [x, y, z] = balancer.list();
    if (!x || !y || !z) throw new Error('three instances expected');
    [a, b, c] = [x, y, z];
    for (const i of [a, b, c]) i.checked(clock.now().getTime(), clock.now().getTime(), true);
  });

  afterEach(() => balancer.close());

  it('takes instances in turn when they are equally busy, and the least busy one otherwise', async () => {
    const picked = Array.from({ length: 6 }, () => balancer.pick()?.origin);
    expect(new Set(picked.slice(0, 3)).size).toBe(3);
    expect(picked.slice(3)).toEqual(picked.slice(0, 3));
    const releases = [await a.limiter.acquire(), await a.limiter.acquire(), await b.limiter.acquire()];
    for (let k = 0; k < 5; k++) expect(balancer.pick()).toBe(c);
    for (const r of releases) r();
  });

  it('weighs each instance\'s load against its own limit, so one whose limit shrank is not chosen while full', async () => {
    // a's limit shrinks to 1 after a slow answer; with one request it is full, b and c hold one of 2.
    a.answerTimed(clock.now().getTime() - 5000, clock.now().getTime(), true);
    expect(a.limiter.limit()).toBe(1);
    const releases = [await a.limiter.acquire(), await b.limiter.acquire(), await c.limiter.acquire()];
    const picked = new Set(Array.from({ length: 6 }, () => balancer.pick()));
    expect(picked).toEqual(new Set([b, c]));
    for (const r of releases) r();
  });

  it('leaves an instance out once its connection failed, for a backoff that doubles, and takes it back only after a good check sent after the failure', () => {
    const t0 = clock.now().getTime();
    balancer.connectionFailed(b, 'ECONNREFUSED');
    expect(b.state()).toBe('ejected');
    expect(logs.join('\n')).toMatch(/tickets instance http:\/\/127\.0\.0\.1:4002 is ejected: ECONNREFUSED; left out for at least 1000 ms/);
    for (let k = 0; k < 10; k++) expect(balancer.pick()).not.toBe(b);
    // A good check during the backoff does not bring it back, nor one sent before the failure.
    clock.advance(500);
    expect(b.checked(clock.now().getTime(), clock.now().getTime(), true)).toBeUndefined();
    clock.advance(600);
    expect(b.checked(clock.now().getTime(), t0 - 1, true)).toBeUndefined();
    expect(b.checked(clock.now().getTime(), clock.now().getTime(), true)).toBe('up');
    // Failing again before it served anything: twice as long.
    expect(b.connectionFailed(clock.now().getTime(), 'ECONNREFUSED')).toBe(2000);
    // A second failure while still ejected changes nothing.
    expect(b.connectionFailed(clock.now().getTime(), 'UND_ERR_SOCKET')).toBeUndefined();
    clock.advance(2000);
    b.checked(clock.now().getTime(), clock.now().getTime(), true);
    b.answered();
    // It served: the next failure starts from the short backoff again.
    expect(b.connectionFailed(clock.now().getTime(), 'ECONNREFUSED')).toBe(1000);
  });

  it('leaves out an instance failing its check, and returns with its first good one', () => {
    // One failed check of an instance that was up is not enough (a slow answer of a busy machine); two in a row are.
    expect(c.checked(clock.now().getTime(), clock.now().getTime(), false, 'GET /ready failed (UND_ERR_ABORTED)')).toBeUndefined();
    expect(c.checked(clock.now().getTime(), clock.now().getTime(), false, 'GET /ready answered 503')).toBe('down');
    for (let k = 0; k < 10; k++) expect(balancer.pick()).not.toBe(c);
    expect(c.problem()).toBe('GET /ready answered 503');
    expect(c.checked(clock.now().getTime(), clock.now().getTime(), true)).toBe('up');
    expect(new Set(Array.from({ length: 3 }, () => balancer.pick()))).toEqual(new Set([a, b, c]));
  });

  it('tries every instance when none is up rather than refusing everything, and never the one just failed', () => {
    for (const i of [a, b, c]) balancer.connectionFailed(i, 'ECONNREFUSED');
    expect(new Set(Array.from({ length: 6 }, () => balancer.pick()))).toEqual(new Set([a, b, c]));
    for (let k = 0; k < 10; k++) expect(balancer.pick(a)).not.toBe(a);
    // One only failing its check is tried before ejected ones (a busy instance is not a dead one).
    clock.advance(60_000);
    c.checked(clock.now().getTime(), clock.now().getTime(), true);
    c.checked(clock.now().getTime(), clock.now().getTime(), false, 'slow');
    c.checked(clock.now().getTime(), clock.now().getTime(), false, 'slow');
    expect(c.state()).toBe('down');
    balancer.connectionFailed(a, 'ECONNREFUSED');
    for (let k = 0; k < 6; k++) expect(balancer.pick()).toBe(c);
    // Without it: an ejected one whose backoff is over (b) before one still in its backoff (a).
    for (let k = 0; k < 6; k++) expect(balancer.pick(c)).toBe(b);
    const single = new UpstreamBalancer('keys', [target(4010)], OPTIONS, { clock, metrics: new Metrics(), log: () => undefined, resolve: () => Promise.resolve([]) });
    const [only] = single.list();
    expect(single.pick()).toBe(only);
    expect(single.pick(only)).toBeUndefined();
    return single.close();
  });

  it('sends fewer requests at once to an instance whose answers slow down, and more again as they get fast', () => {
    // timeoutMs 1000: slower than 250 ms shrinks by a quarter, faster than 125 ms counts towards growing.
    const limited = new UpstreamBalancer('tickets', [target(4020)], { ...OPTIONS, limits: { maxConcurrent: 16, maxQueued: 0, maxQueueWaitMs: 1 } }, {
      clock, metrics: new Metrics(), log: () => undefined, resolve: () => Promise.resolve([]),
    });
    const [i] = limited.list();
    if (!i) throw new Error('one instance expected');
    const now = (): number => clock.now().getTime();
    expect(i.limiter.limit()).toBe(16);
    const sent = now();
    clock.advance(400);
    expect(i.answerTimed(sent, now(), false)).toBe(12);
    // Other slow answers to requests sent before that shrink do not shrink it again.
    expect(i.answerTimed(sent + 1, now(), false)).toBeUndefined();
    const slowly = (ms: number, timedOut = false): number | undefined => {
      const sentAt = now();
      clock.advance(ms);
      return i.answerTimed(sentAt, now(), timedOut);
    };
    expect(slowly(300)).toBe(9);
    expect(slowly(1, true)).toBe(6);
    // Twelve fast answers in a row: 6 -> 7 after six, 7 -> 8 after seven more.
    const grown: (number | undefined)[] = [];
    for (let k = 0; k < 13; k++) grown.push(i.answerTimed(now(), now() + 10, false));
    expect(grown.filter((g) => g !== undefined)).toEqual([7, 8]);
    // Never below one.
    for (let k = 0; k < 20; k++) slowly(2000);
    expect(i.limiter.limit()).toBe(1);
    return limited.close();
  });

  it('measures slow against UPSTREAM_SLOW_ANSWER_MS, not the timeout', () => {
    const strict = new UpstreamBalancer('tickets', [target(4021)], { ...OPTIONS, timeoutMs: 10_000, slowAnswerMs: 100, limits: { maxConcurrent: 16, maxQueued: 0, maxQueueWaitMs: 1 } }, {
      clock, metrics: new Metrics(), log: () => undefined, resolve: () => Promise.resolve([]),
    });
    const [i] = strict.list();
    if (!i) throw new Error('one instance expected');
    const sent = clock.now().getTime();
    clock.advance(150); // well inside a quarter of the 10 s timeout, past the 100 ms threshold
    expect(i.answerTimed(sent, clock.now().getTime(), false)).toBe(12);
    return strict.close();
  });
});
