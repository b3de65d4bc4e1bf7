#!/usr/bin/env node
// Where the CPU of a key creation goes: starts the platform (six apps) on the Kafka and FerretDB of
// KAFKA_BROKERS / MONGODB_URI, creates keys in closed loops of 1 and 8 clients (twice each), and prints
// the CPU time (user + system, from /proc/<pid>/stat) each process spent per creation. FERRETDB_PID and
// KAFKA_PID add those two processes. A diagnostic, not a benchmark with a baseline: read it beside
// the write benchmark (README, Performance). It first prints the idle CPU per second (no load, 6 s).
//   KAFKA_BROKERS=… MONGODB_URI=… [FERRETDB_PID=… KAFKA_PID=…] node tools/bench/cpu-per-creation.mjs
import { readFileSync } from 'node:fs';
import { bearer } from './lib/http.mjs';
import { closedLoop } from './lib/load.mjs';
import { Platform, SERVICES } from './lib/platform.mjs';

const { KAFKA_BROKERS, MONGODB_URI } = process.env;
if (!KAFKA_BROKERS || !MONGODB_URI) {
  console.error('set KAFKA_BROKERS and MONGODB_URI (npm run infra -- start prints them)');
  process.exit(2);
}
const RUN_MS = 6000;
/** Clock ticks are 10 ms on Linux (USER_HZ 100). */
const cpuMs = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};

const platform = new Platform({ KAFKA_BROKERS, MONGODB_URI }, (m) => console.error(m));
try {
  await platform.startAll();
  const pids = Object.fromEntries(SERVICES.map((s) => [s, platform.process(s).child.pid]));
  for (const name of ['FERRETDB_PID', 'KAFKA_PID']) if (process.env[name]) pids[name.replace('_PID', '').toLowerCase()] = Number(process.env[name]);
  const load = (connections, durationMs) => closedLoop({
    url: `${platform.url('keys')}/v1/keys`, headers: bearer(platform.admin.secret), connections, durationMs, method: 'POST',
    body: (i) => ({ kind: 'private', name: `cpu ${connections}-${i}`, permissions: ['devices:read'] }),
  });
  await load(2, 2000);
  // The platform's idle work, per second: what every creation rate above pays on top of its own work.
  const idleBefore = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMs(pid)]));
  await new Promise((r) => setTimeout(r, RUN_MS));
  const idle = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, Math.round(((cpuMs(pid) - idleBefore[k]) * 1000) / RUN_MS)]));
  console.log(JSON.stringify({ clients: 0, idleCpuMsPerSecond: { ...idle, total: Object.values(idle).reduce((a, b) => a + b, 0) } }));
  for (const clients of [1, 8, 1, 8]) {
    const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMs(pid)]));
    const res = await load(clients, RUN_MS);
    const created = res.statuses['201'] ?? 0;
    if (created === 0) throw new Error(`no key created: ${JSON.stringify(res.statuses)}`);
    const per = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, +((cpuMs(pid) - before[k]) / created).toFixed(1)]));
    const total = +Object.values(per).reduce((a, b) => a + b, 0).toFixed(1);
    console.log(JSON.stringify({ clients, created, perSecond: +((created * 1000) / RUN_MS).toFixed(1), cpuMsPerCreation: { ...per, total } }));
  }
} finally {
  await platform.close();
}
