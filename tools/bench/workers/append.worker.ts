// Event-store append latency with the real MongoEventStore (position counter, ordered insert with
// the unique stream index), against a bare insertOne of a document of the same shape, with 1 and 8
// concurrent writers. Input (BENCH_INPUT): { mongodbUri, database, concurrency: number[], durationMs, runs }.
import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import mongoose from 'mongoose';
import type { DomainEvent } from '@keyward/contracts';
import { generateToken, hashToken } from '@keyward/contracts';
import { MongoEventStore } from '@keyward/event-store';

interface Input {
  mongodbUri: string;
  database: string;
  concurrency: number[];
  durationMs: number;
  runs: number;
}

interface Sample {
  latenciesMs: number[];
  ops: number;
  elapsedMs: number;
}

const input = JSON.parse(process.env['BENCH_INPUT'] ?? '{}') as Input;

function keyCreated(): DomainEvent {
  const token = generateToken('private');
  return {
    type: 'KeyCreated',
    schemaVersion: 1,
    data: {
      kind: 'private', name: 'bench append', permissions: ['devices:read'], allowedIps: [],
      expiresAt: new Date(Date.now() + 300 * 86_400_000).toISOString(), createdBy: 'key_bench',
      secretHash: hashToken(token), tokenPrefix: token.slice(0, 12),
    },
  };
}

/** `concurrency` writers calling `op` back to back for durationMs. */
async function load(concurrency: number, durationMs: number, op: () => Promise<unknown>): Promise<Sample> {
  const latenciesMs: number[] = [];
  const start = performance.now();
  const end = start + durationMs;
  let last = start;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      await op();
      last = performance.now();
      latenciesMs.push(last - t0);
    }
  }));
  return { latenciesMs, ops: latenciesMs.length, elapsedMs: last - start };
}

async function main(): Promise<void> {
  const connection = await mongoose.createConnection(input.mongodbUri, { dbName: input.database }).asPromise();
  try {
    const store = new MongoEventStore(connection, { now: () => new Date() });
    await store.init();
    const bare = connection.collection<{ _id: string; [field: string]: unknown }>('bare_inserts');
    let position = 0;
    const bareInsert = (): Promise<unknown> => {
      const e = keyCreated();
      position += 1;
      return bare.insertOne({
        _id: randomUUID(), position, aggregateId: `key_${randomBytes(10).toString('hex')}`, aggregateType: 'ApiKey',
        accountId: 'acc_bench', version: 1, type: e.type, schemaVersion: e.schemaVersion, occurredAt: new Date(), data: e.data, published: false,
      });
    };
    const append = (): Promise<unknown> =>
      store.append({ aggregateId: `key_${randomBytes(10).toString('hex')}`, aggregateType: 'ApiKey', accountId: 'acc_bench' }, 0, [keyCreated()]);
    // The first append alone: it creates the position counter, and two first appends at once race
    // on that upsert (E11000 on FerretDB; see the report's notes).
    await append();
    // Warm up the connection pool and both paths.
    await load(2, 300, bareInsert);
    await load(2, 300, append);
    const results: Record<string, { bare: Sample[]; append: Sample[] }> = {};
    for (const c of input.concurrency) {
      const entry = { bare: [] as Sample[], append: [] as Sample[] };
      for (let r = 0; r < input.runs; r++) {
        entry.bare.push(await load(c, input.durationMs, bareInsert));
        entry.append.push(await load(c, input.durationMs, append));
      }
      results[String(c)] = entry;
      process.stderr.write(`${c} writer(s): ${entry.append.reduce((n, s) => n + s.ops, 0)} appends\n`);
    }
    process.stdout.write(`BENCH_RESULT ${JSON.stringify({ results })}\n`);
  } finally {
    await connection.dropDatabase().catch(() => undefined);
    await connection.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
