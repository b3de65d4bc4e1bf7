import { Metrics } from './metrics';

describe('Metrics', () => {
  it('writes the labels of counters, gauges and histograms in one order (by name), whatever order the call site used', async () => {
    const metrics = new Metrics();
    metrics.inc('things_total', 'Things', { service: 'technicians', instance: 'http://a:1' });
    metrics.inc('things_total', 'Things', { instance: 'http://a:1', service: 'technicians' }, 2);
    metrics.set('thing_up', 'Up', { service: 'technicians', instance: 'http://a:1' }, 1);
    metrics.observe('thing_seconds', 'Time', { service: 'technicians', instance: 'http://a:1' }, 0.01);
    const text = await metrics.render();
    expect(text).toMatch(/^things_total\{instance="http:\/\/a:1",service="technicians"\} 3$/m);
    expect(text).toMatch(/^thing_up\{instance="http:\/\/a:1",service="technicians"\} 1$/m);
    expect(text).toMatch(/^thing_seconds_count\{instance="http:\/\/a:1",service="technicians"\} 1$/m);
  });
});
