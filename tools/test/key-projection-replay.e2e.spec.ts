import type { ServiceProcess } from '@keyward/testing';
import { waitFor } from '@keyward/testing';
import type { AdminKey, CreatedKey, Reply } from '@keyward/testing';
import { guarded, KeysApi, keyProjectionStatus, operatorCall, outcome, Platform, waitForOutcome, waitUntilKnown } from '@keyward/testing';

// An operator rebuilds technicians' key projection from the start of keys.events while requests
// keep being authorized: none is refused during the rebuild or at the swap, and the swapped-in
// projection keeps following the keys service.

const REBUILD_BOUND_MS = 60_000;
/** Requests sent after the swap, to cover the moment the live consumer restarts. */
const AFTER_SWAP = 50;
const MAX_REQUESTS = 50_000;
/** Rebuilds tried until one is still running when its revoke is answered (see the second test). */
const MAX_WINDOW_ATTEMPTS = 6;

interface RebuildJob {
  id: string;
  state: 'running' | 'succeeded' | 'failed';
  progress: { read: number; target: number; lag: number; eventsPerSecond: number };
  result: { applied: number; duplicates: number; gaps: number; items: number; durationMs: number; matchedLive: boolean } | null;
  error: string | null;
}

describe('rebuilding the key projection while serving', () => {
  const platform = new Platform();
  let admin: AdminKey;
  let api: KeysApi;
  let technicians: ServiceProcess;

  beforeAll(async () => {
    admin = await platform.bootstrapAdmin('acc_replay');
    api = new KeysApi((await platform.start('keys')).url, admin);
    technicians = await platform.start('technicians');
  }, 240_000);

  afterAll(async () => {
    await platform.close();
  });

  const job = async (): Promise<RebuildJob> => {
    const reply = await operatorCall(technicians.url, 'GET', '/admin/projections/keys/rebuild');
    if (reply.status !== 200) throw new Error(`rebuild status answered ${outcome(reply)}`);
    return reply.body as unknown as RebuildJob;
  };

  it('serves every request during the rebuild and the swap, reports progress, matches the live state, and keeps propagating', async () => {

    // A history with some depth: keys created, disabled, re-enabled, revoked, rotated.
    const history: CreatedKey[] = [];
    for (let i = 0; i < 12; i++) history.push(await api.create({ name: `history ${i}` }));
    for (const [i, key] of history.entries()) {
      if (i % 3 === 0) await api.change(key.id, 'disable');
      if (i % 3 === 1) await api.rotate(key.id, 60);
      if (i % 6 === 0) await api.change(key.id, 'enable');
      if (i % 5 === 0) await api.change(key.id, 'revoke');
    }
    const valid = await api.create({ name: 'used during the rebuild' });
    const revokedAfter = await api.create({ name: 'revoked after the swap' });
    for (const key of [valid, revokedAfter]) expect(outcome(await waitUntilKnown(technicians, key.secret, key.id))).toBe('200');
    const live = await waitFor('the key projection to have applied every event', async () => {
      const s = await keyProjectionStatus(technicians.url);
      return s.lag === 0 ? s : false;
    });

    const started = await operatorCall(technicians.url, 'POST', '/admin/projections/keys/rebuild');
    expect(started.status).toBe(202);
    expect(started.body['state']).toBe('running');

    // Two clients with the valid key: one polls the job (its answers show the progress), one
    // asks for the projections' status; both until AFTER_SWAP requests after the job ended.
    const answers: Reply[] = [];
    const jobs: RebuildJob[] = [];
    let ended = false;
    let afterEnd = 0;
    const deadline = Date.now() + REBUILD_BOUND_MS;
    const more = (): boolean => afterEnd < AFTER_SWAP && answers.length < MAX_REQUESTS && Date.now() < deadline;
    const poller = (async () => {
      while (more()) {
        const reply = await operatorCall(technicians.url, 'GET', '/admin/projections/keys/rebuild');
        answers.push(reply);
        if (reply.status === 200) jobs.push(reply.body as unknown as RebuildJob);
        if (ended) afterEnd++;
        else if (reply.status === 200 && reply.body['state'] !== 'running') ended = true;
      }
    })();
    const reader = (async () => {
      while (more()) answers.push(await guarded(technicians, valid.secret));
    })();
    await Promise.all([poller, reader]);

    const refused = answers.filter((a) => a.status !== 200).map(outcome);
    expect({ requests: answers.length, refused }).toEqual({ requests: answers.length, refused: [] });
    expect(ended).toBe(true);
    const running = jobs.filter((j) => j.state === 'running');
    const final = jobs[jobs.length - 1];
    expect(final?.state).toBe('succeeded');
    expect(final?.error).toBeNull();
    expect(final?.result).toMatchObject({ matchedLive: true, items: live.items, gaps: 0 });
    expect(final?.result?.applied).toBeGreaterThanOrEqual(live.applied);
    // Progress was reported while it ran, and at the end covered the whole topic.
    expect(running.length).toBeGreaterThan(0);
    expect(running.some((j) => j.progress.target > 0)).toBe(true);
    expect(final?.progress.target).toBeGreaterThan(0);
    expect(final?.progress.read).toBeGreaterThanOrEqual(final?.progress.target ?? Infinity);
    console.log(`rebuild: ${answers.length} requests, none refused; ${running.length} progress reports while running; ${JSON.stringify(final?.result)}`);

    // The swapped-in projection follows the keys service: a revoke and a new key propagate.
    await api.change(revokedAfter.id, 'revoke');
    await waitForOutcome(technicians, revokedAfter.secret, '401 key_revoked');
    const newcomer = await api.create({ name: 'created after the swap' });
    expect(outcome(await waitUntilKnown(technicians, newcomer.secret, newcomer.id))).toBe('200');
    expect(outcome(await guarded(technicians, valid.secret))).toBe('200');
    const after = await waitFor('the key projection to settle after the swap', async () => {
      const s = await keyProjectionStatus(technicians.url);
      return s.lag === 0 && s.items === live.items + 1 ? s : false;
    });
    // The live consumer resumed where the rebuild stopped reading: it re-read nothing and applied
    // exactly the two events since (the counters restart from the rebuild's).
    expect({ caughtUp: after.caughtUp, applied: after.applied, duplicates: after.duplicates, gaps: after.gaps, malformed: after.malformed })
      .toEqual({ caughtUp: true, applied: (final?.result?.applied ?? NaN) + 2, duplicates: 0, gaps: 0, malformed: 0 });
  });

  it('enforces a revoke made while the rebuild runs once the rebuilt projection is swapped in', async () => {
    // A rebuild of this small topic may end before a revoke is answered; the window this test is
    // about (revoke answered while the rebuild still runs) is then missed, not disproved. Such an
    // attempt still proves the revoke propagates, and the test tries again with a new key.
    const outcomes: string[] = [];
    for (let attempt = 1; attempt <= MAX_WINDOW_ATTEMPTS; attempt++) {
      const key = await api.create({ name: `revoked during rebuild ${attempt}` });
      expect(outcome(await waitUntilKnown(technicians, key.secret, key.id))).toBe('200');
      expect((await job()).state).not.toBe('running');

      const started = await operatorCall(technicians.url, 'POST', '/admin/projections/keys/rebuild');
      expect(started.status).toBe(202);
      await api.change(key.id, 'revoke');
      const inWindow = (await job()).state === 'running';

      const final = await waitFor('the rebuild to end', async () => {
        const j = await job();
        return j.state === 'running' ? false : j;
      }, { timeoutMs: REBUILD_BOUND_MS });
      expect(final.state).toBe('succeeded');
      expect(outcome(await guarded(technicians, admin.secret))).toBe('200');
      if (!inWindow) {
        outcomes.push('ended before the revoke was answered');
        await waitForOutcome(technicians, key.secret, '401 key_revoked');
        continue;
      }
      // At once: the swapped-in index read the topic to its end after the revoke was published.
      expect(outcome(await guarded(technicians, key.secret))).toBe('401 key_revoked');
      console.log(`rebuild with a revoke in flight (attempt ${attempt}): ${JSON.stringify(final.result)}`);
      return;
    }
    throw new Error(`no rebuild was still running when its revoke was answered, in ${MAX_WINDOW_ATTEMPTS} attempts: ${outcomes.join('; ')}`);
  });
});
