import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createIdempotentProducer } from '@keyward/messaging';
import { createTestTopic, testInfra, testKafka } from '@keyward/testing';

const CLI = resolve(__dirname, 'cli.mjs');

/**
 * `npm run infra` provisions Kafka's command-line tools with the broker, so an operator can look at
 * a topic: the console consumer, run as the README shows, prints what was produced.
 */
describe('Kafka tools provisioned by tools/infra', () => {
  it('reads a topic with kafka-console-consumer, as the README shows', async () => {
    const kafka = testKafka();
    const admin = kafka.admin();
    await admin.connect();
    const topic = await createTestTopic(admin, 'console', 1);
    await admin.disconnect();
    const producer = createIdempotentProducer(kafka);
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'k1', value: '{"type":"KeyCreated","n":1}' }, { key: 'k2', value: '{"type":"KeyRevoked","n":2}' }] });
    await producer.disconnect();

    const child = spawn(process.execPath, [CLI, 'kafka-console-consumer', '--topic', topic, '--from-beginning', '--max-messages', '2',
      '--timeout-ms', '30000', '--formatter-property', 'print.key=true'], { env: { ...process.env, KAFKA_BROKERS: testInfra().kafkaBrokers.join(',') }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect({ code, err: code === 0 ? '' : err }).toEqual({ code: 0, err: '' });
    expect(out.trim().split('\n')).toEqual(['k1\t{"type":"KeyCreated","n":1}', 'k2\t{"type":"KeyRevoked","n":2}']);
  }, 90_000);
});
