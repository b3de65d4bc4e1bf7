import { addOneYear } from '@keyward/contracts';
import { ManualClock } from '@keyward/testing';
import type { KeysTestApp } from './testing/keys-test-app.spec-helper';
import { startKeysTestApp } from './testing/keys-test-app.spec-helper';

/**
 * A clock on which time passes between any two readings (1 ms a reading), as it does on a real
 * machine under load: what is derived from "now" must come from one reading, not two.
 */
class TickingClock extends ManualClock {
  override now(): Date {
    const now = super.now();
    this.advance(1);
    return now;
  }
}

describe('keys API: the default expiry', () => {
  let app: KeysTestApp;

  beforeAll(async () => {
    app = await startKeysTestApp({ clock: new TickingClock('2027-02-28T23:59:59.990Z'), accountId: 'acc_default_expiry' });
  }, 120_000);

  afterAll(async () => {
    await app?.close();
  });

  it('is createdAt plus one year from the same instant, to the millisecond', async () => {
    for (let i = 0; i < 5; i++) {
      const reply = await app.call('POST', '/v1/keys', { kind: 'private', name: `default expiry ${i}`, permissions: ['keys:read'] });
      expect(reply.status).toBe(201);
      const key = reply.body['key'] as { id: string; createdAt: string; expiresAt: string };
      expect({ expiresAt: key.expiresAt }).toEqual({ expiresAt: addOneYear(new Date(key.createdAt)).toISOString() });
      // The recorded event says the same: its time is the key's createdAt.
      const history = (await app.call('GET', `/v1/keys/${key.id}/events`)).body['items'] as { occurredAt: string; data: { expiresAt: string } }[];
      expect(history[0]).toMatchObject({ occurredAt: key.createdAt, data: { expiresAt: key.expiresAt } });
    }
  });
});
