import { randomUUID } from 'node:crypto';
import type { ServiceName } from '@keyward/contracts';
import { EVENT_TOPIC_PARTITIONS, SERVICE_NAMES } from '@keyward/contracts';
import { createIdempotentProducer } from '@keyward/messaging';
import type { Reply } from '@keyward/testing';
import { operatorCall, outcome } from '@keyward/testing';
import type { FaultSetup } from './faults.spec-helper';
import { answeredEverywhere, knownEverywhere, faultRun, SETUP_TIMEOUT_MS, CLOSE_TIMEOUT_MS, topicOf } from './faults.spec-helper';

// Events no service can use land on keys.events: a well-formed KeyCreated envelope with empty
// data, bytes that are not JSON, and an event of a real key far ahead of its version. Every
// service keeps applying the real events after them (on every partition), quarantines the
// unusable ones as dead letters it counts and lists, and still applies the key's next real event.

interface Poison {
  readonly what: string;
  readonly partition: number;
  readonly offset: string;
}

describe('poison events on keys.events', () => {
  const run = faultRun('acc_poison');
  let setup: FaultSetup;

  beforeAll(async () => {
    setup = await run.start();
  }, SETUP_TIMEOUT_MS);

  afterAll(() => run.close(), CLOSE_TIMEOUT_MS);

  it('keeps every service applying later events, quarantines the poison as counted dead letters, and does not let a far-ahead version swallow real ones', async () => {
    const victim = await setup.api.create({ name: 'a real key that gets a far-ahead event' });
    await knownEverywhere(setup, victim, 15_000);

    const producer = createIdempotentProducer(setup.infra.kafkaClient('fault-poisoner'));
    await producer.connect();
    const poisons: Poison[] = [];
    const topic = topicOf(setup, 'keys');
    try {
      // On every partition, so whichever partition a later key lands on has poison before it.
      for (let partition = 0; partition < EVENT_TOPIC_PARTITIONS; partition++) {
        const aggregateId = `key_poison${partition}${randomUUID().replace(/-/g, '').slice(0, 12)}`;
        const emptyData = JSON.stringify({
          id: randomUUID(), type: 'KeyCreated', schemaVersion: 1, aggregateId, accountId: setup.admin.accountId, version: 1,
          occurredAt: new Date().toISOString(), data: {},
        });
        const sent = await producer.send({
          topic, acks: -1,
          messages: [
            { key: aggregateId, value: emptyData, partition },
            { key: `garbage${partition}`, value: Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x22, 0x9c, 0x01]), partition },
          ],
        });
        const base = BigInt(sent[0]?.baseOffset ?? '-1');
        poisons.push({ what: 'KeyCreated with data {}', partition, offset: String(base) }, { what: 'garbage bytes', partition, offset: String(base + 1n) });
      }
      // The victim's own partition (message key = aggregateId), version 1000 when it is at 1.
      await producer.send({
        topic, acks: -1,
        messages: [{
          key: victim.id,
          value: JSON.stringify({
            id: randomUUID(), type: 'KeyEnabled', schemaVersion: 1, aggregateId: victim.id, accountId: setup.admin.accountId, version: 1000,
            occurredAt: new Date().toISOString(), data: {},
          }),
        }],
      });
    } finally {
      await producer.disconnect();
    }

    // Later real events: new keys (enough to land on every partition) and the victim's revoke.
    const accepted: Promise<unknown>[] = [];
    for (let i = 0; i < 6; i++) {
      const key = await setup.api.create({ name: `created after the poison ${i}` });
      accepted.push(answeredEverywhere(setup, key.secret, (a) => a === '200', `accept ${key.id}, created after the poison`, 10_000));
    }
    await Promise.all(accepted);
    await setup.api.change(victim.id, 'revoke');
    await answeredEverywhere(setup, victim.secret, (a) => a === '401 key_revoked', 'apply the real revoke after a far-ahead version', 10_000);

    // Every consuming service quarantined the two unusable messages of every partition.
    const lists = await Promise.all(SERVICE_NAMES.map(async (service) => [service, await deadLetters(setup, service)] as const));
    const missing: string[] = [];
    for (const [service, reply] of lists) {
      const list = reply.body['items'] ?? reply.body['deadLetters'];
      const letters = Array.isArray(list) ? (list as Record<string, unknown>[]) : [];
      if (reply.status !== 200) missing.push(`${service}: GET /admin/dead-letters ${outcome(reply)}`);
      for (const p of poisons) {
        const found = letters.some((l) => l['topic'] === topic && Number(l['partition']) === p.partition && String(l['offset']) === p.offset);
        if (!found) missing.push(`${service}: ${p.what} at ${p.partition}/${p.offset}`);
      }
    }
    expect(missing).toEqual([]);
    for (const [service] of lists) {
      expect({ service, counted: await deadLetterCount(setup, service) >= poisons.length }).toEqual({ service, counted: true });
    }
  }, 240_000);
});

/** GET /admin/dead-letters of a service, by the platform operator. */
function deadLetters(setup: FaultSetup, service: ServiceName): Promise<Reply> {
  return operatorCall(setup.url(service), 'GET', '/admin/dead-letters?limit=100');
}

/** The key projection's dead-letter count as /admin/projections shows it. */
async function deadLetterCount(setup: FaultSetup, service: ServiceName): Promise<number> {
  const reply = await operatorCall(setup.url(service), 'GET', '/admin/projections');
  const list = Array.isArray(reply.body['projections']) ? (reply.body['projections'] as Record<string, unknown>[]) : [];
  const keys = list.find((p) => p['name'] === 'keys');
  return Number(keys?.['deadLetters'] ?? -1);
}
