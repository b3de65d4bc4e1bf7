import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';

/**
 * The ids of the events in the last `perPartition` messages of each partition of `topic`.
 *
 * Why: the relay publishes a batch, then marks it published. An instance that dies (or is
 * paused past its lease) between the two leaves events on the topic that the store still calls
 * unpublished; the next holder of the lease would publish them a second time. So after taking the
 * lease (and after a send that failed half-way), the relay reads the tail of the topic once and
 * marks what is already there instead of sending it again: every event on the topic exactly once.
 * The tail is bounded: only the batch in flight at the crash can be on the topic unmarked, and a
 * batch is at most `perPartition` events.
 */
export async function publishedIdsInTail(kafka: Kafka, topic: string, perPartition: number, timeoutMs = 15_000): Promise<Set<string>> {
  const ids = new Set<string>();
  const admin = kafka.admin();
  await admin.connect();
  let offsets: { partition: number; high: string; low: string }[];
  try {
    offsets = await admin.fetchTopicOffsets(topic);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  const wanted = new Map<number, { from: bigint; to: bigint }>();
  for (const o of offsets) {
    const high = BigInt(o.high);
    const low = BigInt(o.low);
    const from = high - BigInt(perPartition) > low ? high - BigInt(perPartition) : low;
    if (high > from) wanted.set(o.partition, { from, to: high });
  }
  if (wanted.size === 0) return ids;
  const groupId = `relay-tail-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, retry: { retries: 3 } });
  const remaining = new Set(wanted.keys());
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => { done = r; });
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const range = wanted.get(batch.partition);
        if (!range) return;
        for (const m of batch.messages) {
          const offset = BigInt(m.offset);
          if (offset < range.from || offset >= range.to) continue;
          const id = envelopeId(m.value);
          if (id) ids.add(id);
        }
        const last = batch.messages[batch.messages.length - 1];
        if (last && BigInt(last.offset) + 1n >= range.to) remaining.delete(batch.partition);
        if (remaining.size === 0) done();
      },
    });
    for (const [partition, range] of wanted) consumer.seek({ topic, partition, offset: range.from.toString() });
    await Promise.race([finished, new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`reading the last ${perPartition} messages of ${topic} took over ${timeoutMs} ms`)), timeoutMs);
    })]);
    return ids;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
    void deleteGroup(kafka, groupId);
  }
}

function envelopeId(value: Buffer | null): string | undefined {
  if (!value) return undefined;
  try {
    const parsed: unknown = JSON.parse(value.toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'id' in parsed && typeof parsed.id === 'string') return parsed.id;
  } catch {
    // Not an envelope: nothing the relay wrote.
  }
  return undefined;
}

async function deleteGroup(kafka: Kafka, groupId: string): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.deleteGroups([groupId]);
  } catch {
    // A left-over empty group expires on its own.
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
