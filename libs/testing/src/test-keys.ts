import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { KeyCreatedData, KeyEventEnvelope, KeyKind, Permission } from '@keyward/contracts';
import { displayPrefix, generateToken, hashToken, KEYS_EVENTS_TOPIC } from '@keyward/contracts';
import { createIdempotentProducer, ensureTopics, eventTopic } from '@keyward/messaging';
import { testName } from './test-infra';

export interface TestKey {
  readonly keyId: string;
  readonly accountId: string;
  readonly secret: string;
}

export type NewTestKey = { accountId: string; kind?: KeyKind; permissions: readonly Permission[]; allowedIps?: readonly string[]; expiresAt?: string };

/** A KeyCreated as the keys service would publish it, and the key it creates (with its secret). */
export function testKeyCreated(key: NewTestKey): { key: TestKey; event: KeyEventEnvelope } {
  const kind = key.kind ?? 'private';
  const secret = generateToken(kind);
  const keyId = `key_${testName('k').replace(/[^A-Za-z0-9]/g, '')}`;
  const data: KeyCreatedData = {
    kind, name: 'test key', permissions: [...key.permissions].sort(), allowedIps: [...(key.allowedIps ?? [])],
    expiresAt: key.expiresAt ?? new Date(Date.now() + 30 * 24 * 3600 * 1000).toISOString(), createdBy: 'test',
    secretHash: hashToken(secret), tokenPrefix: displayPrefix(secret),
  };
  const event: KeyEventEnvelope = {
    id: randomUUID(), type: 'KeyCreated', schemaVersion: 1, aggregateId: keyId, accountId: key.accountId, version: 1,
    occurredAt: new Date().toISOString(), data,
  };
  return { key: { keyId, accountId: key.accountId, secret }, event };
}

/**
 * Puts a KeyCreated straight onto `<prefix>keys.events`, as the keys service would publish it,
 * so a service under test learns a key the way it does in production: from the topic. Returns
 * the secret. For tests of services other than keys.
 */
export async function publishTestKey(kafka: Kafka, topicPrefix: string, spec: NewTestKey): Promise<TestKey> {
  const { key, event } = testKeyCreated(spec);
  // The topic first, with its leaders: a send that auto-creates it meets "does not host this topic-partition".
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, [eventTopic(`${topicPrefix}${KEYS_EVENTS_TOPIC}`)]);
  } finally {
    await admin.disconnect();
  }
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  try {
    await producer.send({ topic: `${topicPrefix}${KEYS_EVENTS_TOPIC}`, acks: -1, messages: [{ key: key.keyId, value: JSON.stringify(event) }] });
  } finally {
    await producer.disconnect();
  }
  return key;
}
