#!/usr/bin/env node
// Operator replay: inspect projections, rebuild one from the start of its topic while the service
// keeps serving (then swap), republish a service's own event store to its topic.
// Talks to the services' /admin endpoints with a platform operator token (one of the services'
// OPERATOR_TOKENS; no account's API key is accepted there). See docs/operators.md.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const SERVICES = { edge: 3000, keys: 3001, sessions: 3002, tickets: 3003, technicians: 3004, devices: 3005 };

const HELP = `usage: npm run replay -- <command> [options]

commands:
  status     position, lag, last event time and size of every projection of the services
  rebuild    rebuild a service's projection from the start of its topic, swap when caught up
             (Ctrl-C stops watching, the rebuild goes on; add --cancel-on-interrupt to cancel it)
  cancel     cancel a service's running rebuild (before its swap; the live projection keeps serving)
  republish  republish a service's own event store to its topic from a position (idempotent)
  dead-letters  list the messages a service's projections could not parse or apply (docs/consumers.md)

options:
  --service <name>     edge, keys, sessions, tickets, technicians, devices (status: default all)
  --projection <name>  the projection to rebuild or cancel (default: keys)
  --cancel-on-interrupt  rebuild: Ctrl-C cancels the rebuild instead of only leaving it running
  --from <position>    republish the events after this store position (default: 0, everything)
  --limit <n>          dead-letters: how many to list (default 50; 1-500 per page, the CLI follows pages)
  --token <token>      platform operator token (one of the services' OPERATOR_TOKENS; npm start
                       prints it); default $KEYWARD_OPERATOR_TOKEN. An account's API key is not one.
  --url <url>          the service's base URL; default $<SERVICE>_URL (the edge's variable), else
                       http://127.0.0.1:$<SERVICE>_PORT (the app's default port). status: a comma-separated
                       list of its instances' URLs; without one, status lists every instance
                       \`npm start\` started (its instances file, docs/scaling.md)
  --json               print JSON instead of text
  -h, --help           this text`;

function fail(message, code = 1) {
  console.error(`replay: ${message}`);
  process.exit(code);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    service: { type: 'string' }, projection: { type: 'string', default: 'keys' }, from: { type: 'string', default: '0' },
    limit: { type: 'string', default: '50' },
    token: { type: 'string' }, url: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
    'cancel-on-interrupt': { type: 'boolean', default: false },
  },
});
const command = positionals[0];
if (values.help || !command) {
  console.log(HELP);
  process.exit(values.help ? 0 : 2);
}
// The environment is the better place: a --token value is visible to other users in `ps`.
const token = values.token ?? process.env.KEYWARD_OPERATOR_TOKEN;
if (!token) fail('no operator token: set KEYWARD_OPERATOR_TOKEN (or pass --token) to one of the services\' OPERATOR_TOKENS', 2);

function baseUrl(service) {
  if (!(service in SERVICES)) fail(`unknown service "${service}"; one of: ${Object.keys(SERVICES).join(', ')}`, 2);
  // One naming scheme with the edge and npm start: <SERVICE>_URL, <SERVICE>_PORT.
  const name = service.toUpperCase();
  const listed = process.env[`${name}_URL`]?.split(',')[0]?.trim();
  return (values.url ?? (listed || `http://127.0.0.1:${process.env[`${name}_PORT`] ?? SERVICES[service]}`)).replace(/\/$/, '');
}

async function call(service, method, path, body) {
  let res;
  try {
    res = await fetch(`${baseUrl(service)}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  } catch (e) {
    fail(`${service} at ${baseUrl(service)} does not answer (${e.cause?.code ?? e.message}); is it running?`);
  }
  const text = await res.text();
  const json = text ? JSON.parse(text) : {};
  // Operator routes answer a token they do not accept exactly like a path they do not have.
  if (res.status === 404 && json.code === 'not_found') fail(`${service} answered 404 not_found: it did not accept the operator token (is it one of its OPERATOR_TOKENS?)`);
  if (!res.ok) fail(`${service} answered ${res.status} ${json.code ?? ''}: ${json.detail ?? json.title ?? text}`);
  return json;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (a, b) => (b > 0 ? `${((100 * a) / b).toFixed(1)}%` : '100%');

/**
 * Where the instances of a service are (docs/scaling.md): --url or $<SERVICE>_URL (a comma
 * list, like the edge's <SERVICE>_URL), else the instances file `npm start` writes
 * ($KEYWARD_INSTANCES_FILE, default <data dir>/instances.json), else the one default port.
 */
function instanceUrls(service) {
  const listed = values.url ?? process.env[`${service.toUpperCase()}_URL`];
  if (listed) return listed.split(',').map((u) => u.trim().replace(/\/$/, '')).filter(Boolean);
  const cache = process.env.KEYWARD_CACHE_DIR ?? join(homedir(), '.cache', 'keyward');
  const file = process.env.KEYWARD_INSTANCES_FILE ?? join(process.env.KEYWARD_DATA_DIR ?? join(cache, 'data'), 'instances.json');
  if (existsSync(file)) {
    try {
      const urls = JSON.parse(readFileSync(file, 'utf8'))[service];
      if (Array.isArray(urls) && urls.length > 0) return urls.map(String);
    } catch {
      // A broken file: fall back to the default port.
    }
  }
  return [`http://127.0.0.1:${process.env[`${service.toUpperCase()}_PORT`] ?? SERVICES[service]}`];
}

async function instanceCall(url, path) {
  const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : {} };
}

async function status() {
  const services = values.service ? [values.service] : Object.keys(SERVICES);
  if (values.service && !(values.service in SERVICES)) fail(`unknown service "${values.service}"; one of: ${Object.keys(SERVICES).join(', ')}`, 2);
  const rows = [];
  const down = [];
  for (const s of services) {
    for (const url of instanceUrls(s)) {
      let reply;
      try {
        reply = await instanceCall(url, '/admin/projections');
      } catch (e) {
        down.push(`${s} at ${url} does not answer (${e.cause?.code ?? e.message}); is it running?`);
        continue;
      }
      const { status: code, json } = reply;
      if (code === 404 && json.code === 'not_found') fail(`${s} answered 404 not_found: it did not accept the operator token (is it one of its OPERATOR_TOKENS?)`);
      if (code !== 200) fail(`${s} at ${url} answered ${code} ${json.code ?? ''}: ${json.detail ?? json.title ?? ''}`);
      // /health names the instance (INSTANCE_ID), and answers even while the instance is not ready.
      const health = await instanceCall(url, '/health').catch(() => ({ json: {} }));
      for (const p of json.projections) rows.push({ service: s, url, instance: health.json.instanceId ?? p.instanceId ?? '-', ...p });
    }
  }
  if (values.json) {
    console.log(JSON.stringify(rows, null, 2));
  } else {
    printStatus(rows);
  }
  for (const d of down) console.error(`replay: ${d}`);
  if (down.length > 0) process.exit(1);
}

function printStatus(rows) {
  console.log(`${'service'.padEnd(12)} ${'projection'.padEnd(12)} ${'items'.padStart(7)} ${'lag'.padStart(6)} ${'applied'.padStart(8)} ${'dups'.padStart(5)} ${'gaps'.padStart(5)}  position            ${'last event'.padEnd(24)}  instance`);
  for (const r of rows) {
    const position = Object.entries(r.positions).map(([p, o]) => `${p}:${o}`).join(' ');
    console.log(`${r.service.padEnd(12)} ${r.name.padEnd(12)} ${String(r.items).padStart(7)} ${String(r.lag).padStart(6)} ${String(r.applied).padStart(8)} ${String(r.duplicates).padStart(5)} ${String(r.gaps).padStart(5)}  ${position.padEnd(19)} ${(r.lastEventAt ?? '-').padEnd(24)}  ${r.instance} ${r.url}`);
    const j = r.rebuild;
    if (j) console.log(`${''.padEnd(12)} ${''.padEnd(12)} rebuild ${j.state} (${j.phase}) ${j.progress.read}/${j.progress.target} events, started ${j.startedAt}${j.error ? `: ${j.error}` : ''}`);
  }
}

function describeJob(service, name, j) {
  const p = j.progress;
  return `[rebuild ${service}/${name}] ${p.read}/${p.target} events (${pct(p.read, p.target)}), ${p.eventsPerSecond} events/s, lag ${p.lag}, ${j.phase}`;
}

async function rebuild() {
  const service = values.service ?? fail('rebuild needs --service', 2);
  const name = values.projection;
  const job = await call(service, 'POST', `/admin/projections/${name}/rebuild`);
  if (!values.json) console.log(`[rebuild ${service}/${name}] job ${job.id} started (deadline ${job.deadline}); the service keeps serving from the current projection`);
  // Ctrl-C: the rebuild runs on the service, not here; stop watching unless told to cancel it.
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
  });
  for (;;) {
    await sleep(500);
    if (interrupted) {
      if (!values['cancel-on-interrupt']) {
        console.error(`[rebuild ${service}/${name}] stopped watching; the rebuild goes on. Watch it with \`npm run replay -- status --service ${service}\`, ` +
          `cancel it with \`npm run replay -- cancel --service ${service} --projection ${name}\``);
        process.exit(130);
      }
      await cancel();
      process.exit(130);
    }
    const j = await call(service, 'GET', `/admin/projections/${name}/rebuild`);
    if (!values.json) console.log(describeJob(service, name, j));
    if (j.state === 'succeeded') {
      const r = j.result;
      if (values.json) return console.log(JSON.stringify(j, null, 2));
      console.log(`[rebuild ${service}/${name}] done and swapped: ${r.applied} events applied, ${r.duplicates} duplicates, ${r.gaps} gaps, ${r.items} items, ` +
        `swapped after ${r.swappedAfterMs ?? r.durationMs} ms, ${r.durationMs} ms in all, ${r.viewsWritten ?? 0} views written; ` +
        (r.matchedLive ? 'identical to the projection it replaced' : 'DIFFERED from the projection it replaced (the rebuilt one is now live)'));
      return;
    }
    if (j.state === 'failed') fail(`rebuild failed: ${j.error}`);
    if (j.state === 'cancelled') fail(`rebuild cancelled: ${j.error}`);
  }
}

async function cancel() {
  const service = values.service ?? fail('cancel needs --service', 2);
  const name = values.projection;
  const j = await call(service, 'DELETE', `/admin/projections/${name}/rebuild`);
  if (values.json) return console.log(JSON.stringify(j, null, 2));
  if (j.state === 'cancelled') return console.log(`[rebuild ${service}/${name}] cancelled in phase ${j.phase}; the live projection keeps serving, unchanged`);
  console.log(`[rebuild ${service}/${name}] cancelling (state ${j.state}, phase ${j.phase}); check with \`npm run replay -- status --service ${service}\``);
}

async function republish() {
  const service = values.service ?? fail('republish needs --service', 2);
  const fromPosition = Number(values.from);
  if (!Number.isInteger(fromPosition) || fromPosition < 0) fail('--from must be a whole number >= 0', 2);
  await call(service, 'POST', '/admin/event-store/republish', { fromPosition });
  for (;;) {
    await sleep(500);
    const s = await call(service, 'GET', '/admin/event-store/republish');
    if (!values.json) console.log(`[republish ${service}] ${s.published}/${s.target} events (${pct(s.published, s.target)}), position ${s.position}, ${s.eventsPerSecond} events/s`);
    if (s.state === 'succeeded') {
      if (values.json) return console.log(JSON.stringify(s, null, 2));
      return console.log(`[republish ${service}] done: ${s.published} events republished from position ${s.fromPosition}; consumers drop the ones they already applied`);
    }
    if (s.state === 'failed') fail(`republish failed: ${s.error}`);
  }
}

async function deadLetters() {
  const service = values.service ?? fail('dead-letters needs --service', 2);
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) fail('--limit must be a whole number >= 1', 2);
  // All projections unless one is named (--projection defaults to keys for rebuild only).
  const projection = process.argv.some((a) => a === '--projection' || a.startsWith('--projection=')) ? values.projection : undefined;
  const letters = [];
  let cursor;
  while (letters.length < limit) {
    const q = new URLSearchParams({ limit: String(Math.min(500, limit - letters.length)), ...(projection ? { projection } : {}), ...(cursor ? { cursor } : {}) });
    const page = await call(service, 'GET', `/admin/dead-letters?${q}`);
    letters.push(...page.items);
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  if (values.json) return console.log(JSON.stringify(letters, null, 2));
  if (letters.length === 0) return console.log(`[dead-letters ${service}] none`);
  for (const l of letters) {
    const value = l.value === null ? '(no value)' : l.encoding === 'base64' ? `base64:${l.value.slice(0, 80)}` : l.value.slice(0, 120);
    console.log(`${l.at}  ${l.projection}  ${l.topic}/${l.partition}@${l.offset}  key ${l.key ?? '-'}\n    error: ${l.error}\n    value: ${value}`);
  }
  console.log(`[dead-letters ${service}] ${letters.length} listed${cursor && letters.length >= limit ? ' (more: raise --limit)' : ''}`);
}

const commands = { status, rebuild, cancel, republish, 'dead-letters': deadLetters };
if (!commands[command]) fail(`unknown command "${command}"\n\n${HELP}`, 2);
await commands[command]();
