import type { ServiceConfig } from '@keyward/config';
import type { InProcessService, ManualClock } from '@keyward/testing';
import { startInProcess, testServiceConfig, waitFor } from '@keyward/testing';
import type { KeyAggregates } from '../application/api-key.aggregate';
import { KEY_AGGREGATES } from '../application/api-key.aggregate';
import { bootstrapAdminKey } from '../bootstrap/bootstrap';
import { KeysModule } from '../keys.module';

export interface KeysTestApp extends InProcessService {
  readonly config: ServiceConfig;
  readonly adminSecret: string;
  readonly accountId: string;
  /** fetch against the app with the admin key (or another secret) and JSON. */
  call(method: string, path: string, body?: unknown, secret?: string): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }>;
}

/**
 * The keys service in this test process (so its clock can be moved) on the run's real Kafka and
 * FerretDB, with its own database and topics, and an admin key its projection already knows.
 */
export async function startKeysTestApp(options: { clock?: ManualClock; config?: ServiceConfig; accountId?: string } = {}): Promise<KeysTestApp> {
  const config = options.config ?? testServiceConfig('keys');
  const service = await startInProcess(KeysModule.forRoot({ config, ...(options.clock ? { clock: options.clock } : {}) }));
  const accountId = options.accountId ?? 'acc_test';
  const admin = await bootstrapAdminKey(service.app.get<KeyAggregates>(KEY_AGGREGATES), accountId, 'test admin');
  if (!admin.created) throw new Error('expected a fresh database for the test app');
  const call: KeysTestApp['call'] = async (method, path, body, secret = admin.secret) => {
    const res = await fetch(`${service.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${secret}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
  };
  await waitFor('the admin key to reach the key projection', async () => (await call('GET', '/v1/keys')).status === 200);
  return { ...service, config, adminSecret: admin.secret, accountId, call };
}
