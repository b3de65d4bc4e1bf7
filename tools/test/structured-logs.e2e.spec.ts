import { TOKEN_PATTERN } from '@keyward/contracts';
import type { WholePlatform } from '@keyward/testing';
import {
  call, KeysApi, logRecords, metricsText, startWholePlatform, TEST_EDGE_SIGNING_SECRET, TEST_OPERATOR_TOKEN, waitFor, waitUntilEveryServiceKnows,
} from '@keyward/testing';

/**
 * Every app of a running platform, at debug: each line of its output is a JSON object naming the
 * service and the instance; each line written while a request is handled carries that request's
 * id and correlation id, the same id at the edge and at the service it forwarded to; and no
 * credential (keys in headers and answers, the edge signing secret, the operator token) appears
 * in any line. Also: every app's /metrics has Node's default metrics beside its own series.
 */
describe('structured logs across the platform', () => {
  let p: WholePlatform;

  beforeAll(async () => {
    p = await startWholePlatform({ LOG_LEVEL: 'debug' }, 'acc_logs');
  }, 240_000);

  afterAll(async () => {
    await p?.platform.close();
  });

  it('every app logs only JSON lines with service and instance, request lines with their ids, and no secret', async () => {
    const keys = new KeysApi(p.edge.url, p.admin);
    const secrets = [p.admin.secret, TEST_EDGE_SIGNING_SECRET, TEST_OPERATOR_TOKEN];
    const created = await keys.create({ name: 'logged key' });
    secrets.push(created.secret);
    const rotated = await keys.rotate(created.id, 3600);
    secrets.push(rotated.secret);
    await waitUntilEveryServiceKnows(p.edge.url, rotated.secret);
    // A key in X-API-Key, one in Authorization with a chosen request and correlation id, a
    // wrong key, and a forged edge signature straight at a service.
    expect((await call(p.edge.url, 'GET', '/v1/devices', { headers: { 'x-api-key': rotated.secret } })).status).toBe(200);
    const traced = await call(p.edge.url, 'GET', '/v1/technicians', { secret: created.secret, headers: { 'x-request-id': 'trace-logs-1', 'x-correlation-id': 'flow-logs-1' } });
    expect(traced.status).toBe(200);
    const wrong = `${rotated.secret.slice(0, -4)}AAAA`;
    expect((await call(p.edge.url, 'GET', '/v1/tickets', { secret: wrong })).status).toBe(401);
    const technicians = p.services.get('technicians');
    if (!technicians) throw new Error('no technicians service');
    await call(technicians.url, 'GET', '/v1/technicians', { secret: created.secret, headers: { 'x-edge-signature': 'v1=forged', 'x-edge-timestamp': String(Date.now()) } });

    const apps = [p.edge, ...p.services.values()];
    for (const app of apps) {
      expect((await metricsText(app.url))).toMatch(/^process_cpu_seconds_total [\d.e+-]+$/m);
    }
    await waitFor('the traced request in the technicians log', () => technicians.output().includes('"reqId":"trace-logs-1"'));

    for (const app of apps) {
      const output = app.output();
      const records = logRecords(output);
      expect({ app: app.service, lines: records.length > 5 }).toEqual({ app: app.service, lines: true });
      for (const r of records) {
        expect({ service: r['service'], instance: typeof r['instance'], level: typeof r['level'] }).toEqual({ service: app.service, instance: 'string', level: 'string' });
        // A line written in a request names it, and its correlation.
        if (r['context'] === 'http' || r['reqId'] !== undefined) expect([typeof r['reqId'], typeof r['correlationId']]).toEqual(['string', 'string']);
      }
      for (const secret of secrets) expect({ app: app.service, leaked: output.includes(secret) }).toEqual({ app: app.service, leaked: false });
      expect({ app: app.service, tokens: output.match(TOKEN_PATTERN) ?? [] }).toEqual({ app: app.service, tokens: [] });
      expect({ app: app.service, wrong: output.includes(wrong) }).toEqual({ app: app.service, wrong: false });
    }
    // One request, one id and one correlation at the edge and at the service behind it.
    for (const app of [p.edge, technicians]) {
      const line = logRecords(app.output()).find((r) => r['reqId'] === 'trace-logs-1' && r['context'] === 'http');
      expect(line).toMatchObject({ correlationId: 'flow-logs-1', method: 'GET', path: '/v1/technicians', status: 200 });
    }
  }, 120_000);
});
