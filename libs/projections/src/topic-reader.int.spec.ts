import type { Admin, Kafka } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import { ensureTopics } from '@keyward/messaging';
import { testKafka, testName } from '@keyward/testing';
import { TopicReader } from './topic-reader';

// TopicReader against the real Kafka: a read started while its topic's partitions are not served
// yet (a topic a moment old on a loaded machine answers "This server does not host this
// topic-partition"; here the topic appears a moment after the read starts) waits for them instead
// of failing, then reads everything.

describe('TopicReader', () => {
  let kafka: Kafka;
  let admin: Admin;

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin.disconnect();
  });

  it('retries its start while the topic is not served yet, then reads it to the end', async () => {
    const topic = testName('topic_reader_late');
    const seen: string[] = [];
    const reader = new TopicReader(kafka, topic, (_p, messages) => {
      for (const m of messages) seen.push(m.value?.toString() ?? '');
    });
    const reading = reader.readToEnd();
    let failedEarly: unknown;
    reading.catch((e: unknown) => { failedEarly = e; });

    // The topic, and its messages, come after the read started.
    await ensureTopics(admin, [{ topic, numPartitions: 3 }]);
    expect(failedEarly).toBeUndefined();
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `m${i}` })) });
    await producer.disconnect();

    // readToEnd's target is the end at the time the offsets were first read (empty): extend it.
    await reading;
    await reader.extendTo();
    await reader.close();
    expect(seen.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}`).sort());
  }, 90_000);
});
