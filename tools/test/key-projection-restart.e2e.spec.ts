import { waitFor } from '@keyward/testing';
import type { KeyProjectionStatus } from '@keyward/testing';
import { guarded, KeysApi, keyProjectionStatus, outcome, Platform, waitForOutcome, waitUntilKnown } from '@keyward/testing';

// A service restarted on its own database resumes its key projection from what it persisted:
// it loads the views, reads only the events published while it was down, and applies none twice.

describe('key projection across a restart of the service', () => {
  const platform = new Platform();
  // At info level the projection says what it loaded; the global set-up runs services at warn.
  // One instance restarted (its id would otherwise follow its new free port: a new instance with
  // nothing of its own), and the database path this spec proves (the snapshot path has
  // libs/key-auth/src/projection/key-snapshot.int.spec.ts).
  const techniciansEnv = { LOG_LEVEL: 'info', INSTANCE_ID: 'technicians-restarted', PROJECTION_SNAPSHOT_DIR: '' };

  afterAll(async () => {
    await platform.close();
  });

  it('loads its persisted keys, catches up with the changes made while it was down, and applies nothing twice', async () => {
    const admin = await platform.bootstrapAdmin('acc_restart');
    const keys = await platform.start('keys');
    const api = new KeysApi(keys.url, admin);
    let technicians = await platform.start('technicians', techniciansEnv);

    const toRevoke = await api.create({ name: 'revoked while technicians is down' });
    const kept = await api.create({ name: 'untouched' });
    for (const key of [toRevoke, kept]) expect(outcome(await waitUntilKnown(technicians, key.secret, key.id))).toBe('200');
    const before = await settled(technicians.url, 3);
    expect(pick(before)).toEqual({ items: 3, applied: 3, duplicates: 0, gaps: 0, malformed: 0, lag: 0, caughtUp: true });

    // SIGTERM: Nest closes the app (the consumer leaves its group) and re-raises the signal.
    const stopping = Date.now();
    await platform.stop('technicians');
    expect(Date.now() - stopping).toBeLessThan(15_000);

    const created = await api.create({ name: 'created while technicians is down' });
    await api.change(toRevoke.id, 'revoke');
    // The keys service itself enforces both, so both events are on the topic before the restart.
    await waitForOutcome(keys, toRevoke.secret, '401 key_revoked');
    expect(outcome(await waitUntilKnown(keys, created.secret, created.id))).toBe('200');

    technicians = await platform.start('technicians', techniciansEnv);
    expect(technicians.output()).toMatch(/loaded 3 keys and the checkpoint from the database/);

    // Ready means caught up: from its first answer it enforces what happened while it was down.
    const first = await Promise.all([created, toRevoke, kept].map(async (k) => [k.key['name'], outcome(await guarded(technicians, k.secret))]));
    expect(Object.fromEntries(first)).toEqual({
      'created while technicians is down': '200', 'revoked while technicians is down': '401 key_revoked', untouched: '200',
    });
    expect(outcome(await guarded(technicians, admin.secret))).toBe('200');
    const after = await settled(technicians.url, 2);
    // `applied` counts this process's work: the two events published while it was down, once each.
    expect(pick(after)).toEqual({ items: 4, applied: 2, duplicates: 0, gaps: 0, malformed: 0, lag: 0, caughtUp: true });
    expect(technicians.output()).not.toMatch(/gap before/);
  });
});

/** The projection's status once it has applied at least `applied` events and has no lag. */
async function settled(url: string, applied: number): Promise<KeyProjectionStatus> {
  return waitFor(`the key projection of ${url} to settle`, async () => {
    const status = await keyProjectionStatus(url);
    return status.lag === 0 && status.applied >= applied ? status : false;
  }, { timeoutMs: 15_000 });
}

function pick(s: KeyProjectionStatus): Pick<KeyProjectionStatus, 'items' | 'applied' | 'duplicates' | 'gaps' | 'malformed' | 'lag' | 'caughtUp'> {
  return { items: s.items, applied: s.applied, duplicates: s.duplicates, gaps: s.gaps, malformed: s.malformed, lag: s.lag, caughtUp: s.caughtUp };
}
