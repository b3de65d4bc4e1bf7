import type { Admin, Kafka, Producer } from 'kafkajs';
import type { Connection } from 'mongoose';
import { topicName } from '@keyward/config';
import type { KeyUsageRecordedEnvelope, UsageCount } from '@keyward/contracts';
import { USAGE_TOPIC } from '@keyward/contracts';
import { ensureTopics, eventTopic } from '@keyward/messaging';
import { DEAD_LETTERS_COLLECTION } from '@keyward/projections';
import { Metrics, MONGO_CONNECTION } from '@keyward/service-runtime';
import { testKafka, testServiceConfig, waitFor } from '@keyward/testing';
import type { KeysTestApp } from '../testing/keys-test-app.spec-helper';
import { startKeysTestApp } from '../testing/keys-test-app.spec-helper';
import { UsageProjector } from './usage.projector';
import { UsageRepository } from './usage.repository';

/**
 * The keys.usage consumer as the keys service runs it (KeysModule in process, real Kafka and
 * FerretDB): UsageProjector, a BatchConsumer started by the event transport, each report handed to
 * UsageEventsController's @EventPattern('KeyUsageRecorded'), the batch written in one apply, then
 * committed.
 */
const WINDOW = '2026-12-01T12:34:00.000Z';
const HOUR = Date.parse('2026-12-01T12:00:00.000Z');

function report(keyId: string, seq: number, counts: UsageCount[], lastUsedAt = '2026-12-01T12:34:30.000Z'): KeyUsageRecordedEnvelope {
  return {
    id: `edge/i1/boot1|${keyId}|${WINDOW}|${seq}`, type: 'KeyUsageRecorded', schemaVersion: 1, aggregateId: keyId, accountId: 'acc_usage',
    version: seq, occurredAt: lastUsedAt,
    data: { window: WINDOW, source: 'edge/i1/boot1', service: 'edge', instance: 'i1', counts, lastUsedAt, lastOperation: 'GET /v1/devices', lastAddress: '10.0.0.1' },
  };
}

const ok = (count: number): UsageCount => ({ operation: 'GET /v1/devices', outcome: 'ok', count });

describe('the keys.usage consumer on the event transport (Kafka + FerretDB)', () => {
  let service: KeysTestApp;
  let kafka: Kafka;
  let producer: Producer;
  let admin: Admin;
  let topic: string;
  let groupId: string;
  let usage: UsageRepository;
  let applies: jest.SpyInstance;

  beforeAll(async () => {
    // The service's own usage reports (its admin calls) stay unpublished during the spec: only ours are on the topic.
    service = await startKeysTestApp({ config: testServiceConfig('keys', { USAGE_FLUSH_INTERVAL_MS: '60000' }) });
    topic = topicName(service.config, USAGE_TOPIC);
    groupId = `${service.config.topicPrefix}keyward-keys-usage`;
    kafka = testKafka();
    producer = kafka.producer();
    admin = kafka.admin();
    await producer.connect();
    await admin.connect();
    // The projector ensures it too, in the background: a send first must not create it with the broker's defaults.
    await ensureTopics(admin, [eventTopic(topic)]);
    usage = service.app.get(UsageRepository);
    applies = jest.spyOn(usage, 'apply');
  });

  afterAll(async () => {
    await producer.disconnect();
    await admin.disconnect();
    await service.close();
  });

  /** One produce request on one partition: one record batch, so one fetch of the consumer reads it whole. */
  async function publish(values: readonly (KeyUsageRecordedEnvelope | string)[]): Promise<void> {
    await producer.send({ topic, messages: values.map((v) => ({ key: 'key_usage_batch', value: typeof v === 'string' ? v : JSON.stringify(v) })) });
  }

  /** Until the shared group has committed the end of every partition of keys.usage. */
  async function committedToEnd(what: string): Promise<void> {
    await waitFor(what, async () => {
      const ends = await admin.fetchTopicOffsets(topic);
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return ends.every((end) => {
        // Negative: nothing committed (-1), or reset to the start (-2): the start of an empty partition is its end.
        const at = BigInt(committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1');
        return (at < 0n ? 0n : at) === BigInt(end.high);
      });
    }, { timeoutMs: 30_000, intervalMs: 100 });
  }

  async function counter(name: string): Promise<number> {
    const metric = service.app.get(Metrics).registry.getSingleMetric(name);
    if (!metric) return 0;
    return (await metric.get()).values.reduce((sum, v) => sum + v.value, 0);
  }

  const appliedTotal = (): Promise<number> => counter('usage_reports_applied_total');

  async function readModel(keyIds: readonly string[]): Promise<unknown> {
    return Promise.all(keyIds.map(async (id) => ({ hours: await usage.hourDocs(id, [HOUR]), lastUse: (await usage.lastUse([id])).get(id) ?? null })));
  }

  it('writes a batch in one apply, once, and commits it', async () => {
    await publish([report('key_u1', 1, [ok(2)]), report('key_u2', 1, [ok(1)]), report('key_u1', 2, [ok(4)])]);
    await committedToEnd('the batch to be committed');
    expect(applies).toHaveBeenCalledTimes(1);
    expect((applies.mock.calls[0]?.[0] as KeyUsageRecordedEnvelope[]).map((r) => `${r.aggregateId} ${r.version}`)).toEqual(['key_u1 1', 'key_u2 1', 'key_u1 2']);
    const hours = await usage.hourDocs('key_u1', [HOUR]);
    expect(hours[0]?.entries).toEqual([{ w: Date.parse(WINDOW), s: 'edge/i1/boot1', q: 2, c: [ok(4)] }]);
    expect((await usage.lastUse(['key_u2'])).get('key_u2')?.at.toISOString()).toBe('2026-12-01T12:34:30.000Z');
    expect(await appliedTotal()).toBe(3);
  });

  it('changes nothing when the batch is delivered again (its offsets reset, read and applied once more)', async () => {
    const before = await readModel(['key_u1', 'key_u2']);
    const projector = service.app.get(UsageProjector);
    await projector.stop();
    // The group is empty once its only member left: its committed offsets go back to the start.
    await admin.resetOffsets({ groupId, topic, earliest: true });
    applies.mockClear();
    await projector.start();
    await committedToEnd('the redelivered batch to be committed again');
    expect(applies).toHaveBeenCalledTimes(1);
    expect(await readModel(['key_u1', 'key_u2'])).toEqual(before);
    expect(await appliedTotal()).toBe(3);
  });

  it('keeps a message that is not a usage event in the dead letters, and applies what follows it', async () => {
    await publish(['{"not": "an event"', report('key_u3', 1, [ok(7)], '2026-12-01T12:34:40.000Z')]);
    await committedToEnd('the batch with a malformed message to be committed');
    expect((await usage.lastUse(['key_u3'])).get('key_u3')?.at.toISOString()).toBe('2026-12-01T12:34:40.000Z');
    const letters = await service.app.get<Connection>(MONGO_CONNECTION).collection(DEAD_LETTERS_COLLECTION).find({ projection: 'usage' }).toArray();
    expect(letters.map((l) => ({ topic: l['topic'], offset: l['offset'], error: l['error'] }))).toEqual([{ topic, offset: '3', error: 'the message is not JSON' }]);
    expect(await appliedTotal()).toBe(4);
  });

  it('restarts the consumer when its writes keep failing, and applies the batch once they succeed', async () => {
    const apply = UsageRepository.prototype.apply;
    // More failures than kafkajs retries a batch (3): the consumer crashes, and supervision restarts it.
    let failures = 5;
    applies.mockImplementation(async (reports: readonly KeyUsageRecordedEnvelope[]) => {
      if (failures-- > 0) throw new Error('the database is away (test)');
      return apply.call(usage, reports);
    });
    await publish([report('key_u4', 1, [ok(9)])]);
    await committedToEnd('the batch to be committed after the restart');
    expect(failures).toBeLessThan(0);
    expect(await counter('usage_projector_restarts_total')).toBeGreaterThanOrEqual(1);
    expect(service.app.get(UsageProjector).consumerStatus().consumer).toBe('running');
    expect((await usage.hourDocs('key_u4', [HOUR]))[0]?.entries.map((e) => e.c)).toEqual([[ok(9)]]);
    expect(await appliedTotal()).toBe(5);
  });
});
