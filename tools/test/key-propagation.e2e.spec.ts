import type { ServiceName } from '@keyward/contracts';
import { SERVICE_NAMES } from '@keyward/contracts';
import { waitFor } from '@keyward/testing';
import type { CreatedKey } from '@keyward/testing';
import { guarded, KeysApi, outcome, Platform, waitUntilKnown } from '@keyward/testing';

// All six services as their own processes on one topic prefix: a disable, a revoke and a rotation
// answered by the keys API are enforced by every service within a bound, measured per service.

const BOUND_MS = 10_000;

interface Timing {
  change: string;
  service: ServiceName;
  ms: number;
  answer: string;
}

describe('key changes reach every service', () => {
  const platform = new Platform();
  let api: KeysApi;
  const timings: Timing[] = [];

  beforeAll(async () => {
    const admin = await platform.bootstrapAdmin('acc_propagation');
    const keys = await platform.start('keys');
    api = new KeysApi(keys.url, admin);
    // Two at a time: six start-ups at once on a shared two-core machine only make each slower.
    const others = SERVICE_NAMES.filter((s) => s !== 'keys');
    for (let i = 0; i < others.length; i += 2) await Promise.all(others.slice(i, i + 2).map((s) => platform.start(s)));
  }, 300_000);

  afterAll(async () => {
    if (timings.length > 0) {
      console.log(`key propagation, from the keys API's answer to 401 on each service (bound ${BOUND_MS} ms):\n${table(timings)}`);
    }
    await platform.close();
  });

  /** Polls every service at once until each answers `expected` to the secret; the time each took from `since`. */
  async function enforcedEverywhere(change: string, secret: string, expected: string, since: number): Promise<Timing[]> {
    return Promise.all(SERVICE_NAMES.map(async (service) => {
      const target = platform.process(service);
      let last = '';
      const ms = await waitFor(`${service} to answer ${expected} after ${change}`, async () => {
        last = outcome(await guarded(target, secret));
        return last === expected ? Date.now() - since : false;
      }, { timeoutMs: BOUND_MS, intervalMs: 20 }).catch((e: unknown) => {
        throw new Error(`${e instanceof Error ? e.message : String(e)}; last answer ${last}`);
      });
      const timing = { change, service, ms, answer: expected };
      timings.push(timing);
      return timing;
    }));
  }

  async function workingEverywhere(key: CreatedKey): Promise<void> {
    for (const service of SERVICE_NAMES) {
      expect({ service, answer: outcome(await waitUntilKnown(platform.process(service), key.secret, `key ${key.id}`)) }).toEqual({ service, answer: '200' });
    }
  }

  it('enforces a disable on all six services within the bound', async () => {
    const key = await api.create({ name: 'to disable' });
    await workingEverywhere(key);
    await api.change(key.id, 'disable', { reason: 'propagation test' });
    const answered = Date.now();
    const measured = await enforcedEverywhere('disable', key.secret, '401 key_disabled', answered);
    for (const t of measured) expect({ service: t.service, under: t.ms < BOUND_MS }).toEqual({ service: t.service, under: true });
  });

  it('enforces a revoke on all six services within the bound', async () => {
    const key = await api.create({ name: 'to revoke' });
    await workingEverywhere(key);
    await api.change(key.id, 'revoke');
    const answered = Date.now();
    const measured = await enforcedEverywhere('revoke', key.secret, '401 key_revoked', answered);
    for (const t of measured) expect({ service: t.service, under: t.ms < BOUND_MS }).toEqual({ service: t.service, under: true });
  });

  it('refuses the replaced secret of a rotation without grace on all six services within the bound, and accepts the new one', async () => {
    const key = await api.create({ name: 'to rotate' });
    await workingEverywhere(key);
    const rotated = await api.rotate(key.id, 0);
    const answered = Date.now();
    const measured = await enforcedEverywhere('rotate (grace 0)', key.secret, '401 unknown_key', answered);
    for (const t of measured) expect({ service: t.service, under: t.ms < BOUND_MS }).toEqual({ service: t.service, under: true });
    for (const service of SERVICE_NAMES) {
      expect({ service, answer: outcome(await guarded(platform.process(service), rotated.secret)) }).toEqual({ service, answer: '200' });
    }
  });
});

function table(rows: readonly Timing[]): string {
  const changes = [...new Set(rows.map((r) => r.change))];
  const header = ['service', ...changes];
  const lines = SERVICE_NAMES.map((service) => [
    service,
    ...changes.map((c) => {
      const row = rows.find((r) => r.service === service && r.change === c);
      return row ? `${row.ms} ms` : '-';
    }),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const format = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ');
  return [format(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...lines.map(format)].join('\n');
}
