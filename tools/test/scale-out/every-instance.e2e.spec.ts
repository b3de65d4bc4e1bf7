import type { ServiceName } from '@keyward/contracts';
import type { AdminKey, CreatedKey, ServiceProcess } from '@keyward/testing';
import { keyProjectionStatus, KeysApi, runTsScript, ScaledPlatform, TEST_OPERATOR_TOKEN, waitForOutcome, waitUntilKnown } from '@keyward/testing';

// Two instances of every service and two edges, every instance its own process, all with the same
// configuration (issue 13): each instance projects keys.events whole, so a key created through
// the keys API works on every instance of every service, and once revoked is refused by every
// one of them within the propagation bound; /admin/projections of each shows the full key set.

const BOUND_MS = 10_000;
const UPSTREAMS: readonly Exclude<ServiceName, 'edge'>[] = ['keys', 'sessions', 'tickets', 'technicians', 'devices'];
const KEYS = 6;

describe('two instances of every service, two edges', () => {
  const run = new ScaledPlatform();
  let admin: AdminKey;
  let api: KeysApi;
  let everyone: ServiceProcess[] = [];

  beforeAll(async () => {
    admin = await run.bootstrapAdmin('acc_every_instance');
    // Two at a time: a dozen start-ups at once on a two-core machine only make each slower.
    for (const service of UPSTREAMS) await Promise.all([run.start(service, 0), run.start(service, 1)]);
    // Each edge in front of one set of instances (the edge's balancing over several is edge-upstreams').
    const upstreams = (i: number): Record<string, string> =>
      Object.fromEntries(UPSTREAMS.map((s) => [`${s.toUpperCase()}_URL`, run.instance(s, i).url]));
    await Promise.all([run.start('edge', 0, upstreams(0)), run.start('edge', 1, upstreams(1))]);
    api = new KeysApi(run.instance('keys', 0).url, admin);
    everyone = [...UPSTREAMS, 'edge' as const].flatMap((s) => run.all(s));
  }, 600_000);

  afterAll(() => run.close(), 120_000);

  it('gives every instance the full key set, and a revocation reaches every one within the bound', async () => {
    const created: CreatedKey[] = [];
    for (let i = 0; i < KEYS; i++) created.push(await api.create({ name: `everywhere ${i}` }));
    // Keys hash to different partitions: an instance that shared a group with its twin would miss some.
    for (const proc of everyone) for (const key of created) await waitUntilKnown(proc, key.secret, `key ${key.id}`, 30_000);
    const items = await Promise.all(everyone.map(async (p) => `${p.service}:${p.port} ${(await keyProjectionStatus(p.url)).items}`));
    expect(items).toEqual(everyone.map((p) => `${p.service}:${p.port} ${KEYS + 1}`));

    const victim = created[0];
    if (!victim) throw new Error('no key');
    await api.change(victim.id, 'revoke');
    const since = Date.now();
    const took = await Promise.all(everyone.map(async (p) => {
      await waitForOutcome(p, victim.secret, '401 key_revoked', BOUND_MS);
      return Date.now() - since;
    }));
    console.log(`revocation refused by every instance, ms: ${everyone.map((p, i) => `${p.service}:${p.port}=${took[i]}`).join(' ')}`);
    expect(Math.max(...took)).toBeLessThanOrEqual(BOUND_MS);
    // The other keys still work everywhere: nothing else changed.
    const other = created[1];
    if (other) for (const p of everyone) await waitForOutcome(p, other.secret, '200', BOUND_MS);
  }, 300_000);

  it('lists every instance of every service in `replay status`, given their URL lists', async () => {
    const urls = Object.fromEntries([...UPSTREAMS, 'edge' as const].map((s) => [`${s.toUpperCase()}_URL`, run.all(s).map((p) => p.url).join(',')]));
    const { code, stdout, stderr } = await runTsScript('tools/replay/cli.mjs', ['status'], { ...urls, KEYWARD_OPERATOR_TOKEN: TEST_OPERATOR_TOKEN });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    // One key-projection row per instance, each naming its own instance id and URL.
    const keyRows = stdout.split('\n').filter((l) => /^\S+\s+keys\s/.test(l));
    expect(keyRows).toHaveLength(everyone.length);
    for (const p of everyone) expect(keyRows.filter((l) => l.includes(` ${p.url}`))).toHaveLength(1);
    const ids = keyRows.map((l) => l.trim().split(/\s+/).slice(-2)[0]);
    expect(new Set(ids).size).toBe(everyone.length);
  }, 60_000);
});
