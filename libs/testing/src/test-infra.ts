import { randomBytes } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import mongoose from 'mongoose';
import type { Connection } from 'mongoose';
import { createKafka, ensureTopics } from '@keyward/messaging';

export interface TestInfra {
  readonly kafkaBrokers: string[];
  readonly mongodbUri: string;
}

/** The Kafka and FerretDB of this test run (started by the Jest global set-up). */
export function testInfra(): TestInfra {
  const brokers = process.env['KAFKA_BROKERS'];
  const uri = process.env['MONGODB_URI'];
  if (!brokers || !uri) {
    throw new Error('KAFKA_BROKERS and MONGODB_URI are not set: run integration tests through `npm test` or `npx jest`, whose global set-up starts Kafka and FerretDB');
  }
  return { kafkaBrokers: brokers.split(','), mongodbUri: uri };
}

/** A unique, recognisably-test name: `test_<prefix>_<random>`. */
export function testName(prefix: string): string {
  return `test_${prefix.replace(/[^A-Za-z0-9]/g, '_')}_${randomBytes(4).toString('hex')}`;
}

/** Refuses to touch a database whose name does not mark it as a test one. */
export function assertTestDatabase(name: string): void {
  if (!name.startsWith('test_')) throw new Error(`refusing to use database "${name}" in a test: test databases are named test_*`);
}

/** A fresh database of its own for one test file; drop() removes it. */
export async function testDatabase(prefix: string): Promise<{ name: string; connection: Connection; drop(): Promise<void> }> {
  const name = testName(prefix);
  assertTestDatabase(name);
  const connection = await mongoose.createConnection(testInfra().mongodbUri, { dbName: name }).asPromise();
  return {
    name,
    connection,
    async drop() {
      await connection.dropDatabase().catch(() => undefined);
      await connection.close();
    },
  };
}

/** A Kafka client for tests, connected to this run's broker. */
export function testKafka(clientId = testName('client')): Kafka {
  return createKafka({ kafkaBrokers: testInfra().kafkaBrokers, kafkaClientId: clientId });
}

/** Creates a fresh topic with its own name and returns the name. */
export async function createTestTopic(admin: Admin, prefix: string, numPartitions = 3): Promise<string> {
  const topic = testName(prefix);
  await ensureTopics(admin, [{ topic, numPartitions }]);
  return topic;
}
