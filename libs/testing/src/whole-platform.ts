import type { ServiceName } from '@keyward/contracts';
import type { AdminKey } from './platform';
import { call, Platform } from './platform';
import type { ServiceProcess } from './service-process';
import { waitFor } from './wait-for';

export type UpstreamName = Exclude<ServiceName, 'edge'>;
export const UPSTREAM_NAMES: readonly UpstreamName[] = ['keys', 'sessions', 'tickets', 'technicians', 'devices'];

/** A guarded list route of each service: where a spec waits until the service knows a key. */
export const LIST_ROUTES: Readonly<Record<UpstreamName, string>> = {
  keys: '/v1/keys', sessions: '/v1/sessions/history', tickets: '/v1/tickets', technicians: '/v1/technicians', devices: '/v1/devices',
};

export interface WholePlatform {
  readonly platform: Platform;
  readonly edge: ServiceProcess;
  readonly services: ReadonlyMap<UpstreamName, ServiceProcess>;
  readonly admin: AdminKey;
}

/**
 * Every service as its own process on one platform, then the edge in front of them, and the first
 * admin key of `accountId`. `env` goes to every process (the edge included).
 */
export async function startWholePlatform(env: Readonly<Record<string, string>> = {}, accountId = 'acc_main'): Promise<WholePlatform> {
  const platform = new Platform();
  try {
    const services = new Map<UpstreamName, ServiceProcess>();
    // Two at a time: five start-ups at once on a shared two-core machine only make each slower.
    for (let i = 0; i < UPSTREAM_NAMES.length; i += 2) {
      await Promise.all(UPSTREAM_NAMES.slice(i, i + 2).map(async (s) => { services.set(s, await platform.start(s, env)); }));
    }
    const upstreams = Object.fromEntries(UPSTREAM_NAMES.map((s) => [`${s.toUpperCase()}_URL`, services.get(s)?.url ?? '']));
    const edge = await platform.start('edge', { ...env, ...upstreams });
    const admin = await platform.bootstrapAdmin(accountId);
    return { platform, edge, services, admin };
  } catch (e) {
    await platform.close();
    throw e;
  }
}

/** Waits until every service, through the edge, accepts `secret` on its list route. */
export async function waitUntilEveryServiceKnows(edgeUrl: string, secret: string, timeoutMs = 30_000): Promise<void> {
  for (const service of UPSTREAM_NAMES) {
    await waitFor(`${service} to know the key`, async () => (await call(edgeUrl, 'GET', LIST_ROUTES[service], { secret })).status === 200, { timeoutMs });
  }
}
