import type { Consumer } from 'kafkajs';
import mongoose from 'mongoose';
import type { EventEnvelope } from '@keyward/contracts';
import { TOKEN_PATTERN } from '@keyward/contracts';
import type { ServiceProcess } from '@keyward/testing';
import { runTsScript, startServiceProcess, testInfra, testKafka, testName, waitFor } from '@keyward/testing';

/**
 * End to end with the keys service as its own process: the topic carries exactly the events the
 * API produced, in order per key, and no event, log line or database document holds a secret.
 */
describe('keys service: events on the topic and secrets nowhere', () => {
  const kafka = testKafka();
  const database = testName('keys');
  const prefix = `${testName('keys')}.`;
  const env = { MONGODB_DATABASE: database, KAFKA_TOPIC_PREFIX: prefix, LOG_LEVEL: 'debug' };
  let keys: ServiceProcess;
  let consumer: Consumer | undefined;
  let bootstrapOutput = '';

  afterAll(async () => {
    await consumer?.disconnect();
    await keys?.stop();
    const conn = await mongoose.createConnection(testInfra().mongodbUri, { dbName: database }).asPromise();
    await conn.dropDatabase();
    await conn.close();
  });

  it('publishes exactly the API\'s events in per-key order and never stores, logs or publishes a secret', async () => {
    const boot = await runTsScript('apps/keys/src/bootstrap/bootstrap.cli.ts', ['--account', 'acc_secrets', '--json'], {
      KAFKA_BROKERS: testInfra().kafkaBrokers.join(','), MONGODB_URI: testInfra().mongodbUri, ...env,
    });
    expect(boot.code).toBe(0);
    bootstrapOutput = boot.stdout;
    const admin = JSON.parse(boot.stdout.trim().split('\n').pop() ?? '{}') as { created: boolean; secret: string; keyId: string };
    expect(admin.created).toBe(true);

    // Bootstrapping again is idempotent and shows no secret.
    const again = await runTsScript('apps/keys/src/bootstrap/bootstrap.cli.ts', ['--account', 'acc_secrets', '--json'], {
      KAFKA_BROKERS: testInfra().kafkaBrokers.join(','), MONGODB_URI: testInfra().mongodbUri, ...env,
    });
    expect(JSON.parse(again.stdout.trim().split('\n').pop() ?? '{}')).toEqual({ created: false, accountId: 'acc_secrets', keyId: admin.keyId, tokenPrefix: admin.secret.slice(0, 12) });

    keys = await startServiceProcess('keys', { env, database });
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${keys.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${admin.secret}`, 'content-type': 'application/json' },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    await waitFor('the admin key to work', async () => (await call('GET', '/v1/keys')).status === 200);

    const secrets = [admin.secret];
    const produced = new Map<string, string[]>();
    const record = (id: string, type: string) => produced.set(id, [...(produced.get(id) ?? []), type]);
    record(admin.keyId, 'KeyCreated');
    for (const kind of ['public', 'private'] as const) {
      const created = await call('POST', '/v1/keys', { kind, name: `${kind} key`, permissions: ['sessions:create'], allowedIps: ['10.0.0.0/8'] });
      expect(created.status).toBe(201);
      const id = (created.body['key'] as { id: string }).id;
      secrets.push(created.body['secret'] as string);
      record(id, 'KeyCreated');
      const rotated = await call('POST', `/v1/keys/${id}/rotate`, { gracePeriodSeconds: 3600 });
      expect(rotated.status).toBe(200);
      secrets.push(rotated.body['secret'] as string);
      record(id, 'KeyRotated');
      expect((await call('PUT', `/v1/keys/${id}/allowed-ips`, { allowedIps: [] })).status).toBe(200);
      record(id, 'KeyAllowedIpsChanged');
      expect((await call('POST', `/v1/keys/${id}/disable`, { reason: 'test' })).status).toBe(200);
      record(id, 'KeyDisabled');
      expect((await call('POST', `/v1/keys/${id}/revoke`, {})).status).toBe(200);
      record(id, 'KeyRevoked');
    }
    const total = [...produced.values()].reduce((n, t) => n + t.length, 0);

    const seen: { raw: string; event: EventEnvelope }[] = [];
    consumer = kafka.consumer({ groupId: testName('audit') });
    await consumer.connect();
    await consumer.subscribe({ topic: `${prefix}keys.events`, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => { const raw = String(message.value); seen.push({ raw, event: JSON.parse(raw) as EventEnvelope }); } });
    await waitFor(`${total} events on the topic`, () => seen.length >= total, { timeoutMs: 20_000 });

    // Exactly the API's events: per key, the same types in the same order, and nothing else.
    const onTopic = new Map<string, string[]>();
    for (const { event } of seen) onTopic.set(event.aggregateId, [...(onTopic.get(event.aggregateId) ?? []), `${event.version}:${event.type}`]);
    expect(Object.fromEntries(onTopic)).toEqual(Object.fromEntries([...produced].map(([id, types]) => [id, types.map((t, i) => `${i + 1}:${t}`)])));

    // No secret anywhere: the topic, every document of the service's database, its log.
    const conn = await mongoose.createConnection(testInfra().mongodbUri, { dbName: database }).asPromise();
    const dbDump: string[] = [];
    for (const c of await conn.db!.listCollections().toArray()) {
      for (const doc of await conn.db!.collection(c.name).find({}).toArray()) dbDump.push(JSON.stringify(doc));
    }
    await conn.close();
    expect(dbDump.length).toBeGreaterThan(total);
    const haystacks = { topic: seen.map((s) => s.raw).join('\n'), database: dbDump.join('\n'), log: keys.output() };
    expect(haystacks.log.length).toBeGreaterThan(0);
    for (const [where, text] of Object.entries(haystacks)) {
      for (const secret of secrets) expect({ where, leaked: text.includes(secret) }).toEqual({ where, leaked: false });
      expect({ where, tokens: text.match(TOKEN_PATTERN) ?? [] }).toEqual({ where, tokens: [] });
    }
    // The one place a secret is printed: the bootstrap command's answer, once.
    expect(bootstrapOutput).toContain(admin.secret);
  });
});
