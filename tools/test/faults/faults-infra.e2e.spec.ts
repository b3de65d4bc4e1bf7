import { FaultInfra, waitFor } from '@keyward/testing';

// The harness the fault suite stands on: a test's own Kafka and FerretDB that it can stop and kill
// and start again on the same ports, keeping what was written before.

describe('a fault test\'s own infrastructure', () => {
  let infra: FaultInfra;

  beforeAll(async () => {
    infra = await FaultInfra.start();
  }, 180_000);

  afterAll(async () => {
    await infra?.close();
  });

  it('keeps Kafka records and FerretDB documents across a SIGTERM and a SIGKILL, on the same ports', async () => {
    const kafka = infra.kafkaClient();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'faults-harness', numPartitions: 1 }], waitForLeaders: true });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'faults-harness', acks: -1, messages: [{ value: 'before' }] });
    await producer.disconnect();
    await admin.disconnect();
    const db = await infra.connect('test_faults_harness');
    await db.collection('docs').insertOne({ note: 'before' });
    await db.close();

    const ports = [infra.kafka.port, infra.ferretdb.port];
    await infra.kafka.stop();
    await infra.ferretdb.kill();
    expect([infra.kafka.running, infra.ferretdb.running]).toEqual([false, false]);
    await expect(infra.connect('test_faults_harness').then((c) => c.close())).rejects.toThrow();
    await Promise.all([infra.kafka.start(), infra.ferretdb.start()]);
    await infra.kafka.kill();
    await infra.kafka.start();
    expect([infra.kafka.port, infra.ferretdb.port]).toEqual(ports);

    const again = await infra.connect('test_faults_harness');
    expect(await again.collection('docs').countDocuments({ note: 'before' })).toBe(1);
    await again.close();
    const offsets = await waitFor('the topic to answer after the restarts', async () => {
      const a = kafka.admin();
      await a.connect();
      try {
        return await a.fetchTopicOffsets('faults-harness');
      } finally {
        await a.disconnect();
      }
    }, { timeoutMs: 30_000, intervalMs: 500 });
    expect(offsets.map((o) => o.high)).toEqual(['1']);
  }, 240_000);
});
