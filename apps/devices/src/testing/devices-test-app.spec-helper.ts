import type { ManualClock, ServiceTestApp, TestKeySpec } from '@keyward/testing';
import { startServiceTestApp } from '@keyward/testing';
import { DevicesModule } from '../devices.module';

export { readOwnTopic } from '@keyward/testing';
export type { CallOptions, Reply } from '@keyward/testing';

export const ACCOUNT = 'acc_main';
export const OTHER_ACCOUNT = 'acc_other';

/** The keys a test uses, each learned by the app from `<prefix>keys.events` as in production. */
const KEY_SPECS = {
  /** devices:read and devices:write, in ACCOUNT. */
  admin: { accountId: ACCOUNT, permissions: ['devices:read', 'devices:write'] },
  reader: { accountId: ACCOUNT, permissions: ['devices:read'] },
  writer: { accountId: ACCOUNT, permissions: ['devices:write'] },
  /** A public key: refused on every private route. */
  publicKey: { accountId: ACCOUNT, kind: 'public', permissions: ['sessions:create', 'tickets:create'] },
  other: { accountId: OTHER_ACCOUNT, permissions: ['devices:read', 'devices:write'] },
  /** Holds a permission, but none of this API's. */
  unrelated: { accountId: ACCOUNT, permissions: ['keys:read'] },
} as const satisfies Record<string, TestKeySpec>;

export type TestKeys = Readonly<Record<keyof typeof KEY_SPECS, string>>;
export type DevicesTestApp = ServiceTestApp<keyof typeof KEY_SPECS>;

/** The devices service in this test process, with the keys above already known to it. */
export function startDevicesTestApp(options: { clock?: ManualClock } = {}): Promise<DevicesTestApp> {
  return startServiceTestApp<keyof typeof KEY_SPECS>({
    service: 'devices',
    module: (config, clock) => DevicesModule.forRoot({ config, ...(clock ? { clock } : {}) }),
    keys: KEY_SPECS,
    defaultKey: 'admin',
    probe: '/v1/devices',
    ...(options.clock ? { clock: options.clock } : {}),
  });
}
