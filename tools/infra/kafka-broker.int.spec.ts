import type { Admin, Consumer, EachMessagePayload, Producer } from 'kafkajs';
import { createIdempotentProducer } from '@keyward/messaging';
import { createTestTopic, testKafka, testName, waitFor } from '@keyward/testing';

/**
 * Proves the broker that tools/infra provisions is a real Kafka with the guarantees the design
 * relies on: keyed order, idempotent producing, consumer groups and committed offsets.
 */
describe('Kafka provisioned by tools/infra', () => {
  const kafka = testKafka();
  let admin: Admin;
  let producer: Producer;
  const consumers: Consumer[] = [];

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    producer = createIdempotentProducer(kafka);
    await producer.connect();
  });

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.disconnect()));
    await producer.disconnect();
    await admin.disconnect();
  });

  async function consume(topic: string, groupId: string, into: { key: string; value: string; offset: string; partition: number }[]) {
    const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500 });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message, partition, topic: t }: EachMessagePayload) => {
        into.push({ key: String(message.key), value: String(message.value), offset: message.offset, partition });
        // Commit only after "handling": the next offset to read.
        await consumer.commitOffsets([{ topic: t, partition, offset: String(Number(message.offset) + 1) }]);
      },
    });
    return consumer;
  }

  it('creates a topic with several partitions and auto-creation stays off', async () => {
    const topic = await createTestTopic(admin, 'partitions', 4);
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0]?.partitions).toHaveLength(4);

    const ghost = testName('never_created');
    await expect(producer.send({ topic: ghost, messages: [{ key: 'k', value: 'v' }] })).rejects.toThrow();
    expect(await admin.listTopics()).not.toContain(ghost);
  });

  it('keeps the order of messages that share a key, and resumes a group from its committed offset', async () => {
    const topic = await createTestTopic(admin, 'ordering', 3);
    const keys = ['alpha', 'beta', 'gamma', 'delta'];
    const firstBatch = keys.flatMap((key) => Array.from({ length: 25 }, (_, i) => ({ key, value: `${key}-${i}` })));
    await producer.send({ topic, acks: -1, messages: firstBatch });

    const groupId = testName('group');
    const seen: { key: string; value: string; offset: string; partition: number }[] = [];
    const first = await consume(topic, groupId, seen);
    await waitFor('the first 100 messages', () => seen.length >= 100);
    for (const key of keys) {
      const values = seen.filter((m) => m.key === key).map((m) => m.value);
      expect(values).toEqual(Array.from({ length: 25 }, (_, i) => `${key}-${i}`));
      // A key always lands on one partition.
      expect(new Set(seen.filter((m) => m.key === key).map((m) => m.partition)).size).toBe(1);
    }

    await first.disconnect();
    consumers.splice(consumers.indexOf(first), 1);
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committedTotal = committed[0]!.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    expect(committedTotal).toBe(100);

    await producer.send({ topic, acks: -1, messages: keys.map((key) => ({ key, value: `${key}-after-restart` })) });
    const resumed: typeof seen = [];
    await consume(topic, groupId, resumed);
    await waitFor('the 4 messages produced after the restart', () => resumed.length >= 4);
    // The restarted consumer starts where the group committed: nothing of the first batch again.
    expect(resumed.map((m) => m.value).sort()).toEqual(keys.map((k) => `${k}-after-restart`).sort());
  });

  it('accepts an idempotent producer that retries without duplicating', async () => {
    const topic = await createTestTopic(admin, 'idempotent', 1);
    const idem = createIdempotentProducer(kafka);
    await idem.connect();
    try {
      for (let i = 0; i < 20; i++) await idem.send({ topic, acks: -1, messages: [{ key: 'k', value: String(i) }] });
    } finally {
      await idem.disconnect();
    }
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets[0]?.high).toBe('20');
  });
});
