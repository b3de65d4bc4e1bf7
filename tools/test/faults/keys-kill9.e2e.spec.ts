import type { CreatedKey, LoadResult } from '@keyward/testing';
import { keyProjectionStatus, outcomeCounts, startLoad, waitFor } from '@keyward/testing';
import type { FaultSetup, SeenEvent } from './faults.spec-helper';
import { readStore, readTopic, faultRun, SETUP_TIMEOUT_MS, CLOSE_TIMEOUT_MS, topicOf } from './faults.spec-helper';

// The keys service is killed with SIGKILL in the middle of a burst of key creations and
// disables, then started again on the same database. What it acknowledged is in its store, what
// is in its store is on keys.events and nothing else is, and the consumers apply each event once.

const BURST = 120;

describe('keys killed with SIGKILL mid-burst', () => {
  const run = faultRun('acc_kill9', {}, {}, ['keys', 'technicians']);
  let setup: FaultSetup;

  beforeAll(async () => {
    setup = await run.start();
  }, SETUP_TIMEOUT_MS);

  afterAll(() => run.close(), CLOSE_TIMEOUT_MS);

  it('keeps acknowledged ⊆ stored = published, and applies none twice', async () => {
    // Keys to disable during the burst: a second event per stream, so order and versions matter.
    const toDisable: CreatedKey[] = [];
    for (let i = 0; i < 10; i++) toDisable.push(await setup.api.create({ name: `to disable ${i}`, permissions: ['devices:read'] }));
    const keysUrl = setup.url('keys');

    const burst = startLoad({
      count: BURST, ratePerSecond: 200, maxInFlight: 20, timeoutMs: 10_000,
      request: (i) => {
        const disable = i % 12 === 0 ? toDisable[i / 12] : undefined;
        return disable
          ? { label: 'disable key', baseUrl: keysUrl, method: 'POST', path: `/v1/keys/${disable.id}/disable`, secret: setup.admin.secret, body: {} }
          : { label: 'create key', baseUrl: keysUrl, method: 'POST', path: '/v1/keys', secret: setup.admin.secret, body: { kind: 'private', name: `burst ${i}`, permissions: ['devices:read'] } };
      },
    });
    await waitFor('the burst to be half acknowledged', () => burst.results().filter((r) => r.status === 201).length >= 30, { timeoutMs: 60_000, intervalMs: 5 });
    await setup.platform.process('keys').stop('SIGKILL');
    await setup.platform.stop('keys');
    const results = await burst.done;
    await setup.platform.start('keys');

    const acknowledged = results.filter((r) => r.status >= 200 && r.status < 300);
    const stored = await waitFor('every stored event to be published after the restart', async () => {
      const events = await readStore(setup, 'keys');
      return events.every((e) => e.published) ? events : false;
    }, { timeoutMs: 60_000, intervalMs: 500 });
    const published = await readTopic(setup.infra.kafkaClient('fault-kill9-reader'), topicOf(setup, 'keys'));

    // acknowledged ⊆ stored
    const inStore = new Set(stored.map(streamEntry));
    const lost = acknowledged.filter((r) => !inStore.has(expectedEntry(r)));
    // stored = published (as sets of event ids; a republished batch may repeat an id, never add one)
    const storedIds = new Set(stored.map((e) => e.id));
    const publishedIds = new Set(published.map((e) => e.id));
    const unpublished = [...storedIds].filter((id) => !publishedIds.has(id));
    const strangers = [...publishedIds].filter((id) => !storedIds.has(id));
    const repeatedOnTopic = published.length - publishedIds.size;

    // none applied twice: a consumer that saw the whole topic applied each (stream, version) once.
    const distinctVersions = new Set(published.map(streamEntry)).size;
    const status = await waitFor('technicians\' key projection to catch up', async () => {
      const s = await keyProjectionStatus(setup.url('technicians'));
      return s.lag === 0 && s.applied + s.duplicates >= published.length ? s : false;
    }, { timeoutMs: 30_000, intervalMs: 250 });
    console.log(`keys kill -9 mid-burst: ${JSON.stringify(outcomeCounts(results))}; acknowledged ${acknowledged.length}, stored ${stored.length}, ` +
      `published ${published.length} (${repeatedOnTopic} repeated), technicians applied ${status.applied}, duplicates ${status.duplicates}`);

    expect(acknowledged.length).toBeGreaterThanOrEqual(30);
    expect(results.some((r) => r.status === 0)).toBe(true);
    expect(lost.map((r) => `${r.label} ${r.id ?? r.path}`)).toEqual([]);
    expect({ unpublished, strangers }).toEqual({ unpublished: [], strangers: [] });
    expect({ applied: status.applied, gaps: status.gaps }).toEqual({ applied: distinctVersions, gaps: 0 });
    expect(status.items).toBe(new Set(stored.map((e) => e.aggregateId)).size);
  }, 240_000);
});

/** One stream entry, `key_x@2:KeyDisabled`: what "applied once" and "acknowledged is stored" compare. */
function streamEntry(e: SeenEvent): string {
  return `${e.aggregateId}@${e.version}:${e.type}`;
}

/** The stream entry an acknowledged request must have written. */
function expectedEntry(r: LoadResult): string {
  return r.label === 'disable key' ? `${r.path.split('/')[3] ?? ''}@2:KeyDisabled` : `${r.id ?? ''}@1:KeyCreated`;
}
