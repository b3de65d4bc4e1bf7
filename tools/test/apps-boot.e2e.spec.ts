import type { ServiceName } from '@keyward/contracts';
import { SERVICE_NAMES } from '@keyward/contracts';
import type { ServiceProcess } from '@keyward/testing';
import { logRecords, startServiceProcess, TEST_OPERATOR_TOKEN, testName, waitFor } from '@keyward/testing';

/** Every app boots as its own process against the real Kafka and FerretDB and reports ready. */
describe('the six apps', () => {
  const running: ServiceProcess[] = [];
  // Topics of this run only: on the run's shared Kafka, the unprefixed keys.events may carry an
  // earlier run's relay watermark, which (its relay gone) makes the edge fail safe, not ready.
  const prefix = `${testName('boot')}.`;

  afterAll(async () => {
    await Promise.all(running.map((p) => p.stop()));
  });

  it.each(SERVICE_NAMES.map((s) => [s]))('%s boots, answers /health and reports /ready with Kafka and its database', async (service: ServiceName) => {
    // At info (the suite runs at warn), so the log test below sees start-up and access lines.
    const proc = await startServiceProcess(service, { env: { LOG_LEVEL: 'info', KAFKA_TOPIC_PREFIX: prefix } });
    running.push(proc);

    const health = await fetch(`${proc.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', service });

    const ready = await fetch(`${proc.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { database: { ready: true }, kafka: { ready: true } } });
  });

  it.each(SERVICE_NAMES.map((s) => [s]))('%s serves Prometheus metrics: requests by route and status, projection lag and position, Node process and event-loop metrics', async (service: ServiceName) => {
    const proc = running.find((p) => p.service === service);
    if (!proc) throw new Error(`${service} did not start`);
    await fetch(`${proc.url}/v1/nothing-here`);
    const res = await fetch(`${proc.url}/metrics`, { headers: { authorization: `Bearer ${TEST_OPERATOR_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain;.*version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^# TYPE http_requests_total counter$/m);
    expect(text).toMatch(/^http_requests_total\{method="GET",route="\/ready",status="200"\} \d+$/m);
    expect(text).toMatch(/^projection_lag_events\{projection="keys"\} \d+$/m);
    expect(text).toMatch(/^projection_position\{partition="\d+",projection="keys"\} \d+$/m);
    if (service !== 'edge') expect(text).toMatch(/^outbox_relay_backlog_events \d+$/m);
    // prom-client's default metrics: what every Node service's dashboard expects.
    expect(text).toMatch(/^# TYPE process_cpu_seconds_total counter$/m);
    expect(text).toMatch(/^process_cpu_seconds_total [\d.e+-]+$/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds [\d.e+-]+$/m);
    expect(text).toMatch(/^nodejs_gc_duration_seconds_count\{kind="\w+"\} \d+$/m);
    expect(text).toMatch(/^http_request_duration_seconds_bucket\{le="0\.1",method="GET",route="\/ready"\} \d+$/m);
  });

  it.each(SERVICE_NAMES.map((s) => [s]))('%s logs only JSON lines naming service and instance, the request id on each request\'s line', async (service: ServiceName) => {
    const proc = running.find((p) => p.service === service);
    if (!proc) throw new Error(`${service} did not start`);
    await fetch(`${proc.url}/health`, { headers: { 'x-request-id': `boot-${service}` } });
    await waitFor('the access-log line', () => proc.output().includes(`"reqId":"boot-${service}"`));
    const records = logRecords(proc.output());
    expect(records.length).toBeGreaterThan(3);
    for (const r of records) expect({ service: r['service'], instance: typeof r['instance'], level: typeof r['level'], time: typeof r['time'] }).toEqual({ service, instance: 'string', level: 'string', time: 'string' });
    const access = records.filter((r) => r['context'] === 'http');
    expect(access.length).toBeGreaterThan(0);
    for (const r of access) expect(typeof r['reqId']).toBe('string');
    expect(access.find((r) => r['reqId'] === `boot-${service}`)).toMatchObject({ correlationId: `boot-${service}`, method: 'GET', path: '/health', status: 200 });
  });

  it('refuses to start with a clear message when its configuration is wrong', async () => {
    // The wait ends as soon as the process exits; the bound only has to outlast a start-up on a
    // busy machine (a CI run beside a benchmark took more than 20 s to get as far as the config).
    await expect(startServiceProcess('keys', { env: { KAFKA_BROKERS: '', MONGODB_URI: 'nope' }, readyTimeoutMs: 100_000 }))
      .rejects.toThrow(/KAFKA_BROKERS is required[\s\S]*MONGODB_URI is required/);
  }, 120_000);
});
