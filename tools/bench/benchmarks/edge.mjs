// 3. Edge overhead: GET /v1/keys?limit=1 through the edge (authorize, then forward to the keys
// service) against the same request sent straight to the keys service (B1).
import { bearer } from '../lib/http.mjs';
import { closedLoop, openLoop } from '../lib/load.mjs';
import { profileDuring } from '../lib/profile-window.mjs';
import { median, percentileCurve, ratio, summarize } from '../lib/stats.mjs';
import { barChart, percentileChart } from '../lib/svg.mjs';

export const name = 'edge';
export const title = '3. Edge overhead';
export const needsPlatform = true;

const PATH = '/v1/keys?limit=1';

/**
 * Every answer 200; at a fixed rate (`shedAllowed`) also 503, the service shedding load it cannot
 * take right now (its own concurrency bound), which a machine busy with other work causes: those
 * are counted and reported, the latencies are of the answered requests.
 */
function ok(result, what, { shedAllowed = false } = {}) {
  const bad = Object.entries(result.statuses).filter(([s]) => s !== '200' && !(shedAllowed && s === '503'));
  if (bad.length) throw new Error(`${what}: answers other than 200: ${JSON.stringify(result.statuses)}`);
  return result.statuses['503'] ?? 0;
}

export async function run(ctx) {
  const { platform } = ctx;
  const headers = bearer(platform.admin.secret);
  const direct = `${platform.url('keys')}${PATH}`;
  const edge = `${platform.url('edge')}${PATH}`;
  const runs = ctx.quick ? 1 : 3;
  const satMs = ctx.quick ? 1500 : 8000;
  const fixedMs = ctx.quick ? 2000 : 10_000;
  const connections = 32;

  // Warm up both paths (JIT, keep-alive pools, the edge's upstream pool).
  for (const url of [direct, edge]) ok(await closedLoop({ url, headers, connections: 8, durationMs: ctx.quick ? 500 : 2000 }), 'warm-up');

  const sat = { direct: [], edge: [], directLat: [], edgeLat: [] };
  for (let r = 0; r < runs; r++) {
    const d = await closedLoop({ url: direct, headers, connections, durationMs: satMs });
    ok(d, 'direct saturation');
    const e = await closedLoop({ url: edge, headers, connections, durationMs: satMs });
    ok(e, 'edge saturation');
    sat.direct.push(d.throughput);
    sat.edge.push(e.throughput);
    sat.directLat.push(...d.latencies);
    sat.edgeLat.push(...e.latencies);
  }
  const directSat = median(sat.direct);
  const edgeSat = median(sat.edge);
  // A moderate rate both paths sustain: 1,000 req/s unless that is more than half of what the slower saturates at.
  // (In steps of 50, or 10 below 100 req/s: a busy machine saturates low, and the rate stays under half of it.)
  const half = 0.5 * Math.min(directSat, edgeSat);
  const rate = Math.min(1000, half >= 100 ? Math.floor(half / 50) * 50 : Math.max(10, Math.floor(half / 10) * 10));
  ctx.log(`[edge] saturation: direct ${Math.round(directSat)} req/s, edge ${Math.round(edgeSat)} req/s; fixed rate ${rate} req/s`);

  const fixed = { direct: [], edge: [], achieved: { direct: [], edge: [] }, shed: { direct: 0, edge: 0 } };
  for (let r = 0; r < runs; r++) {
    const d = await openLoop({ url: direct, headers, rate, durationMs: fixedMs });
    fixed.shed.direct += ok(d, 'direct fixed rate', { shedAllowed: true });
    const e = await openLoop({ url: edge, headers, rate, durationMs: fixedMs });
    fixed.shed.edge += ok(e, 'edge fixed rate', { shedAllowed: true });
    fixed.direct.push(...d.latencies);
    fixed.edge.push(...e.latencies);
    fixed.achieved.direct.push(d.achievedRate);
    fixed.achieved.edge.push(e.achievedRate);
  }

  // A CPU profile of the edge under saturation (started and stopped by signal, so it covers only the load).
  const profiles = [];
  const profileFile = platform.profileFiles?.edge;
  const prof = await profileDuring(platform.process('edge'), profileFile,
    () => closedLoop({ url: edge, headers, connections, durationMs: ctx.quick ? 1000 : 5000 }),
    ['use', 'authorize', 'forward', 'handle', 'emit', 'parserOnHeadersComplete', 'parserOnIncoming', 'writeHead', 'end']);
  if (prof) ok(prof.result, 'edge while profiled');
  if (prof?.analysis) {
    profiles.push({
      title: `CPU profile of the edge process at saturation (${profileFile.split('/').pop()})`,
      analysis: prof.analysis,
      reading: 'the edge is one Nest/Express application: a request goes through Node\'s HTTP parser, Express\'s router and the shared ' +
        'middleware (request id, metrics) before the edge middleware (`use`) authorizes it and opens an upstream request on the keep-alive ' +
        'pool (`forward`); the answer is piped back. `authorize` is the key check itself.',
    });
  }

  const fd = summarize(fixed.direct);
  const fe = summarize(fixed.edge);
  const sd = summarize(sat.directLat);
  const se = summarize(sat.edgeLat);
  const figures = [
    { label: `through the edge at a fixed ${rate} req/s: latency p50`, unit: 'ms', value: fe.p50, baseline: fd.p50, ratio: ratio(fe.p50, fd.p50),
      target: `adds < 1 ms (adds ${(fe.p50 - fd.p50).toFixed(2)} ms)`, met: fe.p50 - fd.p50 < 1 },
    { label: `through the edge at a fixed ${rate} req/s: latency p99`, unit: 'ms', value: fe.p99, baseline: fd.p99, ratio: ratio(fe.p99, fd.p99),
      target: `adds < 3 ms (adds ${(fe.p99 - fd.p99).toFixed(2)} ms)`, met: fe.p99 - fd.p99 < 3 },
    { label: `(info) requests shed (503) at the fixed rate: through the edge / straight to keys`, unit: 'requests', value: fixed.shed.edge, baseline: fixed.shed.direct, ratio: null, target: null, met: null },
    { label: 'through the edge at saturation: throughput', unit: 'req/s', value: edgeSat, baseline: directSat, ratio: ratio(edgeSat, directSat),
      target: '≥ 0.5× baseline', met: ratio(edgeSat, directSat) >= 0.5 },
    { label: `through the edge at saturation (${connections} connections): latency p50`, unit: 'ms', value: se.p50, baseline: sd.p50, ratio: ratio(se.p50, sd.p50), target: null, met: null },
    { label: `through the edge at saturation (${connections} connections): latency p99`, unit: 'ms', value: se.p99, baseline: sd.p99, ratio: ratio(se.p99, sd.p99), target: null, met: null },
  ];
  const charts = [
    { file: 'edge-fixed-rate.svg', title: 'Edge latency at a fixed rate', svg: percentileChart({
      title: `GET ${PATH} at ${rate} req/s: through the edge vs straight to keys`, unit: 'ms',
      series: [{ name: 'through the edge', points: percentileCurve(fixed.edge) }, { name: 'baseline: straight to keys', points: percentileCurve(fixed.direct) }],
    }) },
    { file: 'edge-saturation.svg', title: 'Edge throughput at saturation', svg: barChart({
      title: `GET ${PATH}, ${connections} keep-alive connections: requests per second`, unit: 'req/s',
      categories: sat.direct.map((_, i) => `run ${i + 1}`),
      series: [{ name: 'through the edge', values: sat.edge }, { name: 'baseline: straight to keys', values: sat.direct }],
      format: (v) => Math.round(v).toLocaleString('en-US'),
    }) },
  ];
  return {
    description: `\`GET ${PATH}\` with the admin key (keys:read), through the edge (route match, \`authorize()\` on the edge's own key projection, ` +
      'then a streamed forward over the edge\'s keep-alive pool to the keys service, which authorizes again with its guard and reads one key ' +
      `view from its database). Fixed rate: an open-loop generator in the bench process sends ${rate} req/s for ${fixedMs / 1000} s per run ` +
      `(${runs} run(s) per path, alternating), latency from each request's scheduled send time (no coordinated omission); the rate is ` +
      '1,000 req/s, or half of the slower path\'s saturation throughput when that is lower (this 2-core machine also runs Kafka, ' +
      `FerretDB and six apps). Saturation: ${connections} keep-alive connections, closed loop, ${satMs / 1000} s per run, median of runs. ` +
      'The load generator runs in the bench\'s own Node process, on the same two cores (autocannon is not installed).',
    baseline: `B1 — the same request (\`GET ${PATH}\`, same key) sent straight to the keys service, whose guard is enabled; so the figure is what ` +
      'the edge hop adds (its own check, the extra HTTP hop, the proxying). The keys service has no route with its guard disabled that ' +
      'answers the same as a /v1 route, so "a service with its guard disabled" is approximated by this B1; the edge\'s own `authorize()` ' +
      'costs microseconds (benchmark 1), so nearly all the difference is the hop.',
    figures,
    charts,
    profiles,
    details: { rate, fixed: { direct: fd, edge: fe, achieved: fixed.achieved }, saturation: { direct: sat.direct, edge: sat.edge, directLatency: sd, edgeLatency: se } },
  };
}
