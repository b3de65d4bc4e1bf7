import type { Consumer } from 'kafkajs';
import { topicName } from '@keyward/config';
import type { EventEnvelope } from '@keyward/contracts';
import { KEYS_EVENTS_TOPIC } from '@keyward/contracts';
import type { StoredEvent } from '@keyward/event-store';
import { MongoEventStore, OutboxRelay } from '@keyward/event-store';
import { testKafka, testName, waitFor } from '@keyward/testing';
import { startKeysTestApp } from './testing/keys-test-app.spec-helper';

describe('keys service outbox', () => {
  const kafka = testKafka();
  const consumers: Consumer[] = [];

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.disconnect()));
  });

  it('publishes after a restart every event a stopped relay left unpublished, in per-key order, losing none', async () => {
    const first = await startKeysTestApp();
    const { config } = first;
    // The relay dies; the API keeps appending to the store.
    await first.app.get(OutboxRelay).stop();
    const keyIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const created = await first.call('POST', '/v1/keys', { kind: 'private', name: `k${i}`, permissions: ['devices:read'] });
      expect(created.status).toBe(201);
      const id = (created.body['key'] as { id: string }).id;
      keyIds.push(id);
      expect((await first.call('POST', `/v1/keys/${id}/disable`, {})).status).toBe(200);
      expect((await first.call('POST', `/v1/keys/${id}/enable`, {})).status).toBe(200);
      expect((await first.call('POST', `/v1/keys/${id}/rotate`, { gracePeriodSeconds: 60 })).status).toBe(200);
    }
    const store = first.app.get(MongoEventStore);
    expect(await store.countUnpublished()).toBe(12);
    const stored: StoredEvent[] = [];
    for await (const batch of store.readAll()) stored.push(...batch);
    await first.close();

    // A new instance on the same database and topic.
    const restarted = await startKeysTestApp({ config, accountId: 'acc_second' });
    try {
      const seen: EventEnvelope[] = [];
      const consumer = kafka.consumer({ groupId: testName('outbox_reader') });
      consumers.push(consumer);
      await consumer.connect();
      await consumer.subscribe({ topic: topicName(config, KEYS_EVENTS_TOPIC), fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => { seen.push(JSON.parse(String(message.value)) as EventEnvelope); } });

      await waitFor('every stored event on the topic', () => stored.every((s) => seen.some((e) => e.id === s.id)), { timeoutMs: 20_000 });
      for (const keyId of keyIds) {
        const onTopic = seen.filter((e) => e.aggregateId === keyId).map((e) => `${e.version}:${e.type}`);
        expect(onTopic).toEqual(['1:KeyCreated', '2:KeyDisabled', '3:KeyEnabled', '4:KeyRotated']);
      }
      await waitFor('the outbox to be empty', async () => (await restarted.app.get(MongoEventStore).countUnpublished()) === 0);
    } finally {
      await restarted.close();
    }
  });
});
