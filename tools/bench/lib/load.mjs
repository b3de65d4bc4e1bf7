// A small HTTP load generator (autocannon is not installed): keep-alive connections, either a
// fixed request rate (open loop: each latency counts from the request's *scheduled* send time,
// so a stalled server cannot hide its stall by slowing the sender — no coordinated omission) or
// as fast as `connections` clients can go (closed loop: saturation throughput).
import http from 'node:http';
import { performance } from 'node:perf_hooks';

function sendOne(agent, u, headers, onDone, method = 'GET', body = undefined) {
  const h = body === undefined ? headers : { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  const req = http.request({ agent, hostname: u.hostname, port: u.port, path: u.pathname + u.search, method, headers: h }, (res) => {
    res.on('data', () => {});
    res.on('end', () => onDone(res.statusCode ?? 0));
    res.on('error', () => onDone(0));
  });
  req.on('error', () => onDone(0));
  req.end(body);
}

/** Requests at `rate` per second for `durationMs`; latencies in ms from each scheduled time. */
export function openLoop({ url, headers = {}, rate, durationMs, maxSockets = 128 }) {
  const u = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' });
  const total = Math.max(1, Math.round((rate * durationMs) / 1000));
  const interval = 1000 / rate;
  const latencies = [];
  const statuses = {};
  let sent = 0;
  let done = 0;
  return new Promise((resolve) => {
    const start = performance.now() + 5;
    const finish = () => {
      agent.destroy();
      const elapsed = performance.now() - start;
      resolve({ latencies, statuses, sent, completed: done, achievedRate: (done * 1000) / elapsed, elapsedMs: elapsed });
    };
    const tick = () => {
      const now = performance.now();
      while (sent < total && start + sent * interval <= now) {
        const scheduled = start + sent * interval;
        sent++;
        sendOne(agent, u, headers, (status) => {
          latencies.push(performance.now() - scheduled);
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (++done === total) finish();
        });
      }
      // A 1 ms timer, not setImmediate: a busy sender would take a core from the servers.
      if (sent < total) setTimeout(tick, 1);
    };
    setTimeout(tick, 5);
  });
}

/**
 * `connections` clients, each sending its next request when the last one answered.
 * `body(i)`, when given, makes the i-th request a `method` (POST) with that JSON body.
 */
export function closedLoop({ url, headers = {}, connections, durationMs, method = 'GET', body }) {
  const u = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections, scheduling: 'lifo' });
  const latencies = [];
  const statuses = {};
  const start = performance.now();
  const end = start + durationMs;
  let completed = 0;
  let lastDone = start;
  let n = 0;
  const client = () => new Promise((resolve) => {
    const next = () => {
      if (performance.now() >= end) return resolve();
      const t0 = performance.now();
      sendOne(agent, u, headers, (status) => {
        lastDone = performance.now();
        latencies.push(lastDone - t0);
        statuses[status] = (statuses[status] ?? 0) + 1;
        completed++;
        next();
      }, method, body ? JSON.stringify(body(n++)) : undefined);
    };
    next();
  });
  return Promise.all(Array.from({ length: connections }, client)).then(() => {
    agent.destroy();
    const elapsed = lastDone - start;
    return { latencies, statuses, completed, throughput: (completed * 1000) / elapsed, elapsedMs: elapsed };
  });
}
