import { randomUUID } from 'node:crypto';
import type { Consumer, IHeaders, Producer } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import type { KeyEventEnvelope } from '@keyward/contracts';
import { testKafka, testName, waitFor } from '@keyward/testing';
import type { AdminKey, CreatedKey, KeyProjectionStatus, ServiceProcess } from '@keyward/testing';
import { guarded, KeysApi, keyProjectionStatus, outcome, Platform, waitForOutcome, waitUntilKnown } from '@keyward/testing';

// Deliveries the keys service never makes, written straight onto <prefix>keys.events: old events
// again after newer ones, an event far ahead of its key's version, and messages that are not key
// events. None may corrupt technicians' view of a key or stop its projection.

interface TopicMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders | undefined;
  event: KeyEventEnvelope;
}

describe('key projection under injected deliveries', () => {
  const platform = new Platform();
  const kafka = testKafka();
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;
  let admin: AdminKey;
  let api: KeysApi;
  let technicians: ServiceProcess;
  let topic: string;

  beforeAll(async () => {
    topic = `${platform.prefix}keys.events`;
    admin = await platform.bootstrapAdmin('acc_injection');
    const keys = await platform.start('keys');
    api = new KeysApi(keys.url, admin);
    technicians = await platform.start('technicians');
    // The keys service's partitioner, so a re-sent event lands on its key's partition.
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
  }, 240_000);

  afterAll(async () => {
    await consumer?.disconnect();
    await producer?.disconnect();
    await platform.close();
  });

  const status = (): Promise<KeyProjectionStatus> => keyProjectionStatus(technicians.url);

  /** Waits until the projection's counters, read through the operator API, satisfy `done`. */
  const counted = (what: string, done: (s: KeyProjectionStatus) => boolean): Promise<KeyProjectionStatus> =>
    waitFor(what, async () => {
      const s = await status();
      return done(s) ? s : false;
    }, { timeoutMs: 15_000 });

  /** Every message of the topic so far, as the keys service published it. */
  async function topicMessages(expected: number): Promise<TopicMessage[]> {
    const seen: TopicMessage[] = [];
    consumer = kafka.consumer({ groupId: testName('injection-reader') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push({ key: message.key, value: message.value, headers: message.headers, event: JSON.parse(String(message.value)) as KeyEventEnvelope });
      },
    });
    await waitFor(`${expected} events on ${topic}`, () => seen.length >= expected, { timeoutMs: 20_000 });
    await consumer.disconnect();
    consumer = undefined;
    return seen;
  }

  function published(messages: readonly TopicMessage[], key: CreatedKey, type: KeyEventEnvelope['type']): TopicMessage {
    const found = messages.find((m) => m.event.aggregateId === key.id && m.event.type === type);
    if (!found) throw new Error(`no ${type} of ${key.id} on the topic`);
    return found;
  }

  /** Sends messages exactly as given: the same key (so the same partition), value and headers. */
  async function inject(...messages: { key: Buffer | string | null; value: Buffer | string | null; headers?: IHeaders | undefined }[]): Promise<void> {
    if (!producer) throw new Error('no producer');
    await producer.send({ topic, acks: -1, messages: messages.map((m) => ({ key: m.key, value: m.value, ...(m.headers ? { headers: m.headers } : {}) })) });
  }

  it('drops re-sent and out-of-order events by version: a revoked key stays revoked, a disabled one stays disabled, and duplicates are counted', async () => {
    const revoked = await api.create({ name: 'revoked' });
    const disabled = await api.create({ name: 'disabled' });
    for (const key of [revoked, disabled]) expect(outcome(await waitUntilKnown(technicians, key.secret, key.id))).toBe('200');
    // revoked: v1 KeyCreated, v2 KeyDisabled, v3 KeyEnabled, v4 KeyRevoked; disabled: the same but v4 KeyDisabled.
    for (const key of [revoked, disabled]) {
      await api.change(key.id, 'disable');
      await api.change(key.id, 'enable');
    }
    await api.change(revoked.id, 'revoke');
    await api.change(disabled.id, 'disable');
    await waitForOutcome(technicians, revoked.secret, '401 key_revoked');
    await waitForOutcome(technicians, disabled.secret, '401 key_disabled');
    const before = await counted('the projection to apply every event', (s) => s.lag === 0);

    const messages = await topicMessages(1 + 4 + 4);
    const resent = [
      published(messages, revoked, 'KeyCreated'),
      published(messages, revoked, 'KeyEnabled'),
      published(messages, disabled, 'KeyEnabled'),
    ];
    expect(resent.map((m) => m.event.version)).toEqual([1, 3, 3]);
    await inject(...resent);

    const after = await counted('three more duplicates', (s) => s.duplicates >= before.duplicates + 3 && s.lag === 0);
    expect({ duplicates: after.duplicates - before.duplicates, applied: after.applied - before.applied, gaps: after.gaps - before.gaps, items: after.items })
      .toEqual({ duplicates: 3, applied: 0, gaps: 0, items: before.items });
    expect(outcome(await guarded(technicians, revoked.secret))).toBe('401 key_revoked');
    // Only the version check keeps this one disabled: folded in, the old KeyEnabled would re-enable it.
    expect(outcome(await guarded(technicians, disabled.secret))).toBe('401 key_disabled');
  });

  it('quarantines an event far ahead of its key\'s version that could grant access, and a revocation after it still takes effect', async () => {
    const key = await api.create({ name: 'gap' });
    expect(outcome(await waitUntilKnown(technicians, key.secret, key.id))).toBe('200');
    const before = await counted('the projection to apply every event', (s) => s.lag === 0);

    const ahead: KeyEventEnvelope = {
      id: randomUUID(), type: 'KeyPermissionsChanged', schemaVersion: 1, aggregateId: key.id, accountId: admin.accountId,
      version: 1000, occurredAt: new Date().toISOString(), data: { by: admin.keyId, permissions: ['devices:read'] },
    };
    await inject({ key: key.id, value: JSON.stringify(ahead), headers: { type: ahead.type, schemaVersion: '1' } });

    const after = await counted('one more dead letter', (s) => s.deadLetters >= before.deadLetters + 1 && s.lag === 0);
    expect({ gaps: after.gaps - before.gaps, applied: after.applied - before.applied, deadLetters: after.deadLetters - before.deadLetters, items: after.items })
      .toEqual({ gaps: 1, applied: 0, deadLetters: 1, items: before.items });
    // Not applied: the key keeps what it had, and its version stays where it was ...
    expect(outcome(await guarded(technicians, key.secret))).toBe('200');
    expect((await fetch(`${technicians.url}/ready`)).status).toBe(200);
    // ... so its real next event (v2) is not taken for a duplicate of v1000.
    await api.change(key.id, 'revoke');
    await waitForOutcome(technicians, key.secret, '401 key_revoked');
  });

  it('skips messages that are not key events and keeps applying the ones after them', async () => {
    const before = await counted('the projection to apply every event', (s) => s.lag === 0);
    await inject(
      { key: 'garbage', value: 'this is not JSON {' },
      { key: 'garbage', value: Buffer.from([0xff, 0xfe, 0x00, 0x01]) },
      { key: 'garbage', value: JSON.stringify({ type: 'SomethingElse', aggregateId: 'x', accountId: 'y', version: 1, data: {} }) },
      { key: 'garbage', value: JSON.stringify({ type: 'KeyRevoked', version: 2 }) },
    );
    const after = await counted('four malformed messages', (s) => s.malformed >= before.malformed + 4 && s.lag === 0);
    expect({ malformed: after.malformed - before.malformed, applied: after.applied - before.applied, items: after.items })
      .toEqual({ malformed: 4, applied: 0, items: before.items });
    expect(outcome(await guarded(technicians, admin.secret))).toBe('200');
    expect((await fetch(`${technicians.url}/ready`)).status).toBe(200);

    // The consumer moved past them: changes made afterwards still reach the service.
    const later = await api.create({ name: 'after the garbage' });
    expect(outcome(await waitUntilKnown(technicians, later.secret, later.id))).toBe('200');
    await api.change(later.id, 'revoke');
    await waitForOutcome(technicians, later.secret, '401 key_revoked');
  });
});
