// A small keep-alive HTTP client (node:http): one pooled agent per origin, answers read whole.
import http from 'node:http';

const agents = new Map();

export function agentFor(origin, maxSockets = 64) {
  let agent = agents.get(origin);
  if (!agent) {
    agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' });
    agents.set(origin, agent);
  }
  return agent;
}

export function destroyAgents() {
  for (const a of agents.values()) a.destroy();
  agents.clear();
}

/** One request; resolves with { status, body (string), json() } once the answer is read. */
export function request(url, { method = 'GET', headers = {}, body, agent, timeoutMs = 30_000 } = {}) {
  const u = typeof url === 'string' ? new URL(url) : url;
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request({
      hostname: u.hostname, port: u.port, path: u.pathname + u.search, method,
      agent: agent ?? agentFor(u.origin),
      headers: { ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}), ...headers },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: text, json: () => (text ? JSON.parse(text) : {}) });
      });
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${u.href} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

export const bearer = (secret) => ({ authorization: `Bearer ${secret}` });
