import 'reflect-metadata';
import { Controller, Get, Headers, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ProblemFilter } from '@keyward/problem';
import { countRequests } from '../metrics/http-metrics';
import { Metrics } from '../metrics/metrics';
import { createRootLogger, nestLoggerFor } from './logger';

const SECRET = 'kw_sk_ThisIsNotARealKeyButLooksLikeOne0123456789abcdef';

@Controller()
class LoggingController {
  private readonly logger = new Logger('LoggingController');

  @Get('work')
  async work(@Headers() headers: Record<string, string>): Promise<{ ok: true }> {
    this.logger.log('before the await');
    await new Promise((r) => setImmediate(r));
    this.logger.warn('after the await');
    // Someone logs the headers by mistake: the credentials in them never reach the line.
    this.logger.debug({ headers, secret: SECRET }, 'headers seen');
    return { ok: true };
  }

  @Get('boom')
  boom(): never {
    throw new Error('unexpected');
  }
}

@Module({ controllers: [LoggingController] })
class LoggingTestModule {}

describe('structured request logging (pino through Nest\'s Logger)', () => {
  const lines: string[] = [];
  let app: NestExpressApplication;
  let url: string;

  beforeAll(async () => {
    const root = createRootLogger({ service: 'keys', instanceId: 'keys-test-1', logLevel: 'debug', logFormat: 'json' },
      { write: (line: string) => { lines.push(line); } });
    const nest = nestLoggerFor(root);
    app = await NestFactory.create<NestExpressApplication>(LoggingTestModule, { logger: nest });
    countRequests(app, new Metrics(), root);
    app.useGlobalFilters(new ProblemFilter());
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  });

  afterAll(async () => {
    await app.close();
  });

  const records = (): Record<string, unknown>[] => lines.flatMap((l) => l.split('\n')).filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

  it('writes every line a request causes, across awaits and in the error filter, with its request id and correlation id', async () => {
    await fetch(`${url}/work`, { headers: { 'x-request-id': 'req-one', 'x-correlation-id': 'flow-7', authorization: `Bearer ${SECRET}`, 'x-api-key': SECRET } });
    expect((await fetch(`${url}/boom`, { headers: { 'x-request-id': 'req-two' } })).status).toBe(500);
    const one = records().filter((r) => r['reqId'] === 'req-one');
    expect(one.map((r) => [r['context'], r['msg'], r['correlationId']])).toEqual([
      ['LoggingController', 'before the await', 'flow-7'],
      ['LoggingController', 'after the await', 'flow-7'],
      ['LoggingController', 'headers seen', 'flow-7'],
      ['http', expect.stringMatching(/^GET \/work 200 [\d.]+ms$/), 'flow-7'],
    ]);
    expect(one[3]).toMatchObject({ method: 'GET', path: '/work', status: 200, level: 'info' });
    const two = records().filter((r) => r['reqId'] === 'req-two');
    // Without X-Correlation-Id the request id is the correlation id.
    expect(two.map((r) => [r['context'], r['level'], r['correlationId']])).toEqual([['ProblemFilter', 'error', 'req-two'], ['http', 'info', 'req-two']]);
    for (const r of records()) expect([r['service'], r['instance']]).toEqual(['keys', 'keys-test-1']);
  });

  it('redacts credentials wherever a logged object holds them', () => {
    const text = lines.join('');
    expect(text).not.toContain(SECRET);
    const seen = records().find((r) => r['msg'] === 'headers seen');
    expect(seen).toMatchObject({ headers: { authorization: '[redacted]', 'x-api-key': '[redacted]' }, secret: '[redacted]' });
  });

  it('counts the requests in prom-client series with the route template, method and status', async () => {
    const metrics = new Metrics();
    const root = createRootLogger({ service: 'keys', instanceId: 'keys-test-2', logLevel: 'error', logFormat: 'json' }, { write: () => undefined });
    const other = await NestFactory.create<NestExpressApplication>(LoggingTestModule, { logger: false });
    countRequests(other, metrics, root);
    await other.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${(other.getHttpServer().address() as { port: number }).port}`;
    for (let i = 0; i < 3; i++) await fetch(`${base}/work`);
    await other.close();
    const text = await metrics.render();
    expect(text).toMatch(/^http_requests_total\{method="GET",route="\/work",status="200"\} 3$/m);
    expect(text).toMatch(/^http_request_duration_seconds_count\{method="GET",route="\/work"\} 3$/m);
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });
});
