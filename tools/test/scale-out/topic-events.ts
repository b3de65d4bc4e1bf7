import type { EventEnvelope } from '@keyward/contracts';
import { testKafka, testName, waitFor } from '@keyward/testing';

export interface OnTopic {
  readonly partition: number;
  readonly offset: bigint;
  readonly event: EventEnvelope;
}

/**
 * Everything on `topic`, read from the start with a consumer group of its own, once `until` holds
 * and the read has reached the end offsets of that moment (so nothing published before is left out).
 */
export async function readTopic(topic: string, until: (seen: readonly OnTopic[]) => boolean, timeoutMs = 60_000): Promise<OnTopic[]> {
  const kafka = testKafka();
  const seen: OnTopic[] = [];
  const next = new Map<number, bigint>();
  const consumer = kafka.consumer({ groupId: testName('count'), maxWaitTimeInMs: 100 });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        next.set(partition, BigInt(message.offset) + 1n);
        if (message.value) seen.push({ partition, offset: BigInt(message.offset), event: JSON.parse(message.value.toString()) as EventEnvelope });
      },
    });
    await waitFor(`the expected events on ${topic}`, () => until(seen), { timeoutMs });
    const ends = await admin.fetchTopicOffsets(topic);
    await waitFor(`the end of ${topic}`, () => ends.every((p) => (next.get(p.partition) ?? BigInt(p.low)) >= BigInt(p.high)), { timeoutMs });
    return [...seen];
  } finally {
    await consumer.disconnect();
    await admin.disconnect();
  }
}

/**
 * Per aggregate, the versions in topic order, and what is wrong with them: a version twice, one
 * out of order, or one missing below the highest; `expected` aggregates must end at their version.
 */
export function perKeyProblems(seen: readonly OnTopic[], expected: ReadonlyMap<string, number>): string[] {
  const byAggregate = new Map<string, number[]>();
  for (const s of [...seen].sort((a, b) => (a.partition - b.partition) || Number(a.offset - b.offset))) {
    const list = byAggregate.get(s.event.aggregateId) ?? [];
    list.push(s.event.version);
    byAggregate.set(s.event.aggregateId, list);
  }
  const problems: string[] = [];
  for (const [id, last] of expected) {
    const versions = byAggregate.get(id) ?? [];
    const want = Array.from({ length: last }, (_, i) => i + 1);
    if (versions.join(',') !== want.join(',')) problems.push(`${id}: on the topic ${versions.join(',')}, expected ${want.join(',')}`);
  }
  // Every other aggregate on the topic too: versions 1, 2, 3, ... once each, in order.
  for (const [id, versions] of byAggregate) {
    if (expected.has(id)) continue;
    if (versions.some((v, i) => v !== i + 1)) problems.push(`${id}: on the topic ${versions.join(',')}, not 1..${versions.length} in order`);
  }
  return problems;
}
