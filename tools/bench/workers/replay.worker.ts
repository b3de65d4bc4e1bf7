// Replay of the key topic. Two modes (BENCH_INPUT.mode):
// - produce: puts N KeyCreated envelopes (keyed by key id) straight onto the topic in big batches,
//   plus probe keys whose tokens it returns;
// - read: reads the whole topic with a bare kafkajs consumer that does nothing (the baseline) and
//   with what a rebuild does (TopicReader from @keyward/projections, KEY_EVENTS.parse and a fresh
//   KeyIndex from @keyward/key-auth), interleaved; then persists the last rebuilt index into a
//   service database the way the key projection stores it (views + per-partition checkpoint), and
//   times a view upsert and a find by id at that size.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { performance } from 'node:perf_hooks';
import type { Kafka, Message } from 'kafkajs';
import mongoose from 'mongoose';
import { KEY_EVENTS } from '@keyward/contracts';
import { KeyIndex } from '@keyward/key-auth';
import { createKafka, withKafkaRetry } from '@keyward/messaging';
import { instanceCheckpointId, instanceCollection, snapshotFilePath, TopicReader, writeSnapshotFile } from '@keyward/projections';
import { benchKey } from './bench-keys';

interface ProduceInput {
  mode: 'produce';
  brokers: string;
  topic: string;
  events: number;
}

interface ReadInput {
  mode: 'read';
  brokers: string;
  topic: string;
  events: number;
  runs: number;
  mongodbUri: string;
  persistDatabase: string;
  /** When set, one more rebuild read (not timed) runs under the CPU profiler, written here. */
  profileFile?: string;
  /** Where and as whom the service will look for its key projection's snapshot (see writeSnapshotFile). */
  snapshot?: { dir: string; service: string; instanceId: string; topic: string };
}

interface ReadRun {
  /** From creating the consumer to the last event. */
  totalMs: number;
  /** From the first batch to the last event: the streaming part, without the group join. */
  streamMs: number;
  events: number;
}

const input = JSON.parse(process.env['BENCH_INPUT'] ?? '{}') as ProduceInput | ReadInput;

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

function post<T>(session: Session, method: string, params: object = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    session.post(method, params, (err, res) => (err ? reject(err) : resolve(res as T)));
  });
}

function kafkaOf(brokers: string): Kafka {
  return createKafka({ kafkaBrokers: brokers.split(','), kafkaClientId: `bench-replay-${process.pid}` });
}

async function produce(i: ProduceInput): Promise<object> {
  const kafka = kafkaOf(i.brokers);
  // Seeding only: each key has one event, so order across sends does not matter and sends overlap.
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const probes = [benchKey(999_999_992, { permissions: ['devices:read'] }), benchKey(999_999_993, { permissions: ['devices:read'] })];
  const started = performance.now();
  const batch = 1000;
  const inFlight: Promise<unknown>[] = [];
  const specials = probes;
  for (let start = 0; start < i.events; start += batch) {
    const messages: Message[] = [];
    for (let k = start; k < Math.min(i.events, start + batch); k++) {
      const key = k < specials.length ? (specials[k] as (typeof probes)[number]) : benchKey(k);
      messages.push({ key: key.envelope.aggregateId, value: JSON.stringify(key.envelope), headers: { type: 'KeyCreated', schemaVersion: '1' } });
    }
    // A topic a moment old can still answer 'does not host this topic-partition' on a loaded machine.
    inFlight.push(withKafkaRetry('seed the key topic', () => producer.send({ topic: i.topic, acks: -1, messages })));
    if (inFlight.length >= 4) await inFlight.shift();
    if (start % 100_000 === 0 && start > 0) log(`produced ${start}`);
  }
  await Promise.all(inFlight);
  const ms = performance.now() - started;
  await producer.disconnect();
  return {
    events: i.events, ms,
    probes: probes.map((p) => ({ id: p.envelope.aggregateId, accountId: p.envelope.accountId, token: p.token })),
  };
}

/** The baseline: a consumer of a fresh group reading from the start, doing nothing with a batch. */
async function bareRead(kafka: Kafka, topic: string, events: number): Promise<ReadRun> {
  const t0 = performance.now();
  let first = 0;
  let count = 0;
  // The same fetch settings as TopicReader's consumer.
  const consumer = kafka.consumer({ groupId: `bench-bare-${randomUUID()}`, maxWaitTimeInMs: 200, maxBytes: 10 * 1024 * 1024 });
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => { done = r; });
  let last = 0;
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch, heartbeat }) => {
      if (first === 0) first = performance.now();
      count += batch.messages.length;
      await heartbeat();
      if (count >= events) {
        last = performance.now();
        done();
      }
    },
  });
  await finished;
  await consumer.disconnect();
  return { totalMs: last - t0, streamMs: last - first, events: count };
}

/** What a rebuild does before its swap: TopicReader, KEY_EVENTS.parse, KeyIndex.apply. */
async function rebuildRead(kafka: Kafka, topic: string): Promise<{ run: ReadRun; index: KeyIndex; reader: TopicReader }> {
  const t0 = performance.now();
  let first = 0;
  let last = 0;
  let count = 0;
  const index = new KeyIndex();
  const reader = new TopicReader(kafka, topic, (_partition, messages) => {
    if (first === 0) first = performance.now();
    for (const m of messages) {
      const parsed = KEY_EVENTS.parse(m.value);
      if (parsed.ok) index.apply(parsed.event);
    }
    count += messages.length;
    last = performance.now();
  });
  await reader.readToEnd();
  return { run: { totalMs: last - t0, streamMs: last - first, events: count }, index, reader };
}

async function read(i: ReadInput): Promise<object> {
  const kafka = kafkaOf(i.brokers);
  const bare: ReadRun[] = [];
  const rebuild: ReadRun[] = [];
  let kept: { index: KeyIndex; reader: TopicReader } | undefined;
  for (let r = 0; r < i.runs; r++) {
    bare.push(await withKafkaRetry('bare read', () => bareRead(kafka, i.topic, i.events)));
    log(`bare read ${r + 1}: ${Math.round(bare[r]?.totalMs ?? 0)} ms`);
    kept = undefined;
    const got = await withKafkaRetry('rebuild read', () => rebuildRead(kafka, i.topic));
    rebuild.push(got.run);
    log(`rebuild read ${r + 1}: ${Math.round(got.run.totalMs)} ms, ${got.index.size} keys`);
    if (r === i.runs - 1) kept = got;
    else await got.reader.close();
  }
  if (!kept) throw new Error('no run');
  let profiled = false;
  if (i.profileFile) {
    const session = new Session();
    session.connect();
    await post(session, 'Profiler.enable');
    await post(session, 'Profiler.setSamplingInterval', { interval: 200 });
    await post(session, 'Profiler.start');
    const extra = await rebuildRead(kafka, i.topic);
    const { profile } = await post<{ profile: object }>(session, 'Profiler.stop');
    session.disconnect();
    await extra.reader.close();
    writeFileSync(i.profileFile, JSON.stringify(profile));
    profiled = true;
  }
  const positions = kept.reader.positions();
  await kept.reader.close();

  // Persist as the key projection does (views by id, then the checkpoint), but with insertMany:
  // FerretDB's upsert by _id scans the collection, which would make 1M upserts take hours.
  const connection = await mongoose.createConnection(i.mongodbUri, { dbName: i.persistDatabase }).asPromise();
  try {
    // Under the restarted service's own instance id (per-instance.ts): it reads only its own views and checkpoints.
    const instanceId = i.snapshot?.instanceId;
    const views = connection.collection<{ _id: string; [field: string]: unknown }>(instanceCollection('key_projection_views', instanceId));
    const all = kept.index.snapshot();
    const t0 = performance.now();
    for (let k = 0; k < all.length; k += 1000) {
      await views.insertMany(all.slice(k, k + 1000).map((v) => ({ _id: v.id, ...v })), { ordered: false });
      if (k % 100_000 === 0 && k > 0) log(`persisted ${k} views`);
    }
    const persistMs = performance.now() - t0;
    for (const [partition, offset] of positions) {
      await connection.collection<{ _id: string; topic: string; partition: number; offset: string; instanceId?: string }>('projection_checkpoints').replaceOne(
        { _id: instanceCheckpointId(i.topic, partition, instanceId) },
        { topic: i.topic, partition, offset: offset.toString(), ...(instanceId !== undefined ? { instanceId } : {}) }, { upsert: true });
    }
    // One view rewritten as the live consumer rewrites it, and one found by id, at this size.
    const samples = all.length >= 500_000 ? 3 : 10;
    const upsertMs: number[] = [];
    const findMs: number[] = [];
    for (let k = 0; k < samples; k++) {
      const v = all[Math.floor((k * all.length) / samples) + 3];
      if (!v) continue;
      let t = performance.now();
      await views.replaceOne({ _id: v.id }, { _id: v.id, ...v }, { upsert: true });
      upsertMs.push(performance.now() - t);
      t = performance.now();
      await views.findOne({ _id: v.id });
      findMs.push(performance.now() - t);
    }
    // The snapshot the service's key projection would have written at this point, by the same function
    // (IndexedProjection writes it from the same capture), at the same offsets as the checkpoint.
    let snapshot: { ms: number; bytes: number } | undefined;
    if (i.snapshot) {
      const { dir, ...rest } = i.snapshot;
      const identity = { ...rest, projection: 'keys', database: i.persistDatabase };
      const written = await writeSnapshotFile(snapshotFilePath(dir, identity), identity, positions, kept.index.capture());
      snapshot = { ms: written.ms, bytes: written.bytes };
      log(`snapshot of ${written.items} keys written in ${written.ms} ms (${Math.round(written.bytes / 1048576)} MiB)`);
    }
    return { bare, rebuild, keys: kept.index.size, persistMs, persisted: all.length, upsertMs, findMs, profiled, snapshot };
  } finally {
    await connection.close();
  }
}

async function main(): Promise<void> {
  const result = input.mode === 'produce' ? await produce(input) : await read(input);
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
}

main().catch((e: unknown) => {
  log(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(1);
});
