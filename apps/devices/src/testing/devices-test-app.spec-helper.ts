import { randomUUID } from 'node:crypto';
import { SERVICES } from '@keyward/contracts';
import { createIdempotentProducer } from '@keyward/messaging';
import type { ManualClock, ServiceTestApp, TestKeySpec } from '@keyward/testing';
import { createEventTopics, projectionStatus, startServiceTestApp, testKafka, testServiceConfig, waitFor } from '@keyward/testing';
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
export async function startDevicesTestApp(options: { clock?: ManualClock } = {}): Promise<DevicesTestApp> {
  const config = testServiceConfig('devices');
  // The technicians mirror reads a topic only technicians writes: it must exist before devices starts.
  await createEventTopics(config.topicPrefix);
  return startServiceTestApp<keyof typeof KEY_SPECS>({
    config,
    service: 'devices',
    module: (config, clock) => DevicesModule.forRoot({ config, ...(clock ? { clock } : {}) }),
    keys: KEY_SPECS,
    defaultKey: 'admin',
    probe: '/v1/devices',
    ...(options.clock ? { clock: options.clock } : {}),
  });
}

export interface TestTechnician {
  readonly id: string;
  readonly accountId?: string;
  /** Deactivated after its registration. */
  readonly deactivated?: boolean;
}

/**
 * Technicians put on `<prefix>technicians.events` as the technicians service would publish them,
 * and waits until the devices service's technicians mirror has read them.
 */
export async function publishTechnicians(app: DevicesTestApp, technicians: readonly TestTechnician[]): Promise<void> {
  const producer = createIdempotentProducer(testKafka());
  await producer.connect();
  const last = new Map<number, bigint>();
  try {
    for (const t of technicians) {
      const accountId = t.accountId ?? ACCOUNT;
      const events: { type: string; data: Record<string, unknown> }[] = [{ type: 'TechnicianRegistered', data: { name: 'Grace', email: `${t.id}@example.com`, by: 'key_x' } }];
      if (t.deactivated) events.push({ type: 'TechnicianDeactivated', data: { by: 'key_x' } });
      const [meta] = await producer.send({
        topic: `${app.config.topicPrefix}${SERVICES.technicians.topic ?? ''}`,
        acks: -1,
        messages: events.map((e, i) => ({
          key: t.id,
          value: JSON.stringify({ id: randomUUID(), type: e.type, schemaVersion: 1, aggregateId: t.id, accountId, version: i + 1, occurredAt: new Date().toISOString(), data: e.data }),
        })),
      });
      if (!meta) throw new Error('the broker did not acknowledge the technician events');
      const end = BigInt(meta.baseOffset ?? '0') + BigInt(events.length - 1);
      if (end > (last.get(meta.partition) ?? -1n)) last.set(meta.partition, end);
    }
  } finally {
    await producer.disconnect();
  }
  await waitFor('the technicians mirror of devices to read the technicians', async () => {
    const status = await projectionStatus(app.url, 'technicians');
    const positions = status['positions'] as Record<string, string> | undefined;
    return [...last].every(([partition, offset]) => positions?.[String(partition)] !== undefined && BigInt(positions[String(partition)] ?? '0') > offset);
  }, { timeoutMs: 30_000 });
}
