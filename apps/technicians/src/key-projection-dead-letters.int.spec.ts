import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import { KEYS_EVENTS_TOPIC } from '@keyward/contracts';
import { createIdempotentProducer } from '@keyward/messaging';
import { listDeadLetters, metricsText, operatorCall, projectionStatus, publishTestKey, testKafka, waitFor } from '@keyward/testing';
import type { TechniciansTestApp } from './testing/technicians-test-app.spec-helper';
import { ACCOUNT, startTechniciansTestApp } from './testing/technicians-test-app.spec-helper';

// A service that learns keys only from keys.events, fed poison: an empty KeyCreated, garbage, and a
// version far ahead of a key's. Its key projection must keep applying what comes after (a key created
// afterwards works), and operators see the dead letters in /admin and /metrics.

describe('technicians: poison on keys.events is dead-lettered and the partition moves on', () => {
  const kafka = testKafka();
  let app: TechniciansTestApp;
  let producer: Producer;

  beforeAll(async () => {
    app = await startTechniciansTestApp();
    producer = createIdempotentProducer(kafka);
    await producer.connect();
  }, 120_000);

  afterAll(async () => {
    await producer?.disconnect();
    await app?.dispose();
  });

  it('lists the poison as dead letters, counts them, and serves a key created after them', async () => {
    const topic = `${app.config.topicPrefix}${KEYS_EVENTS_TOPIC}`;
    const victim = await publishTestKey(kafka, app.config.topicPrefix, { accountId: ACCOUNT, permissions: ['technicians:read'] });
    await waitFor('the victim key to work', async () => (await app.call('GET', '/v1/technicians', { secret: victim.secret })).status === 200, { timeoutMs: 20_000 });
    const event = (aggregateId: string, version: number, type: string, data: unknown): string => JSON.stringify({
      id: randomUUID(), type, schemaVersion: 1, aggregateId, accountId: ACCOUNT, version, occurredAt: new Date().toISOString(), data,
    });
    await producer.send({
      topic, acks: -1, messages: [
        { key: 'key_poison', value: event('key_poison', 1, 'KeyCreated', {}) },
        { key: 'key_garbage', value: Buffer.from([0xff, 0x00, 0x7b]) },
        { key: victim.keyId, value: event(victim.keyId, 1000, 'KeyEnabled', { by: 'attacker', expiresAt: new Date(Date.now() + 3_600_000).toISOString() }) },
        { key: victim.keyId, value: event(victim.keyId, 2, 'KeyDisabled', { by: 'admin' }) },
      ],
    });
    const later = await publishTestKey(kafka, app.config.topicPrefix, { accountId: ACCOUNT, permissions: ['technicians:read'] });

    await waitFor('a key created after the poison to work', async () => (await app.call('GET', '/v1/technicians', { secret: later.secret })).status === 200, { timeoutMs: 20_000 });
    await waitFor('the disable behind the far-ahead version to take effect', async () =>
      (await app.call('GET', '/v1/technicians', { secret: victim.secret })).code === 'key_disabled', { timeoutMs: 20_000 });

    const status = await waitFor('three dead letters counted', async () => {
      const s = await projectionStatus(app.url, 'keys');
      return s['deadLetters'] === 3 ? s : false;
    }, { timeoutMs: 20_000 });
    expect({ consumer: status['consumer'], restarts: status['restarts'], lag: status['lag'] }).toEqual({ consumer: 'running', restarts: 0, lag: 0 });

    const letters = await listDeadLetters(app.url, 'keys');
    expect(letters.map((l) => [l['key'], l['offset'] !== undefined, l['projection'], l['topic']]).sort()).toEqual([
      ['key_garbage', true, 'keys', topic],
      ['key_poison', true, 'keys', topic],
      [victim.keyId, true, 'keys', topic],
    ].sort());
    expect(letters.find((l) => l['key'] === 'key_garbage')).toMatchObject({ encoding: 'base64', value: Buffer.from([0xff, 0x00, 0x7b]).toString('base64'), error: 'the message is not JSON' });
    expect(letters.find((l) => l['key'] === 'key_poison')).toMatchObject({ error: 'KeyCreated v1: data.kind is required' });
    expect((await operatorCall(app.url, 'GET', '/admin/dead-letters?projection=nope')).status).toBe(404);
    expect((await operatorCall(app.url, 'GET', '/admin/dead-letters?limit=0')).status).toBe(400);

    const metrics = await metricsText(app.url);
    expect(metrics).toContain('projection_dead_letters_total{projection="keys"} 3');
    expect(metrics).toContain('projection_consumer_running{projection="keys"} 1');
    expect(metrics).toContain('projection_consumer_restarts_total{projection="keys"} 0');
    expect((await fetch(`${app.url}/ready`)).status).toBe(200);
  }, 120_000);
});
