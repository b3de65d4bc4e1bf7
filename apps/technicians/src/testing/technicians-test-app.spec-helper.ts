import type { ManualClock, ServiceTestApp, TestKeySpec } from '@keyward/testing';
import { startServiceTestApp } from '@keyward/testing';
import { TechniciansModule } from '../technicians.module';

export { readOwnTopic } from '@keyward/testing';
export type { CallOptions, Reply } from '@keyward/testing';

export const ACCOUNT = 'acc_main';
export const OTHER_ACCOUNT = 'acc_other';

/** The keys a test uses, each learned by the app from `<prefix>keys.events` as in production. */
const KEY_SPECS = {
  /** technicians:read and technicians:write, in ACCOUNT. */
  admin: { accountId: ACCOUNT, permissions: ['technicians:read', 'technicians:write'] },
  reader: { accountId: ACCOUNT, permissions: ['technicians:read'] },
  writer: { accountId: ACCOUNT, permissions: ['technicians:write'] },
  /** A public key: refused on every private route. */
  publicKey: { accountId: ACCOUNT, kind: 'public', permissions: ['sessions:create', 'tickets:create'] },
  other: { accountId: OTHER_ACCOUNT, permissions: ['technicians:read', 'technicians:write'] },
  /** Holds a permission, but none of this API's. */
  unrelated: { accountId: ACCOUNT, permissions: ['keys:read'] },
} as const satisfies Record<string, TestKeySpec>;

export type TestKeys = Readonly<Record<keyof typeof KEY_SPECS, string>>;
export type TechniciansTestApp = ServiceTestApp<keyof typeof KEY_SPECS>;

/** The technicians service in this test process, with the keys above already known to it. */
export function startTechniciansTestApp(options: { clock?: ManualClock } = {}): Promise<TechniciansTestApp> {
  return startServiceTestApp<keyof typeof KEY_SPECS>({
    service: 'technicians',
    module: (config, clock) => TechniciansModule.forRoot({ config, ...(clock ? { clock } : {}) }),
    keys: KEY_SPECS,
    defaultKey: 'admin',
    probe: '/v1/technicians',
    ...(options.clock ? { clock: options.clock } : {}),
  });
}
