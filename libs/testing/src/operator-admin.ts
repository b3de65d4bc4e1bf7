import { SERVICE_NAMES, SERVICES } from '@keyward/contracts';
import { ensureTopics, eventTopic } from '@keyward/messaging';
import { operatorCall } from './platform';
import { testKafka } from './test-infra';
import { waitFor } from './wait-for';

/** POST /admin/projections/<name>/rebuild on a service (as the platform operator), then polls until the job ends; returns the job. */
export async function rebuildProjection(baseUrl: string, name: string): Promise<Record<string, unknown>> {
  const started = await operatorCall(baseUrl, 'POST', `/admin/projections/${name}/rebuild`);
  if (started.status !== 202) throw new Error(`rebuild ${name}: ${started.status} ${JSON.stringify(started.body)}`);
  return waitFor(`the rebuild of ${name} to finish`, async () => {
    const job = await operatorCall(baseUrl, 'GET', `/admin/projections/${name}/rebuild`);
    return job.body['state'] === 'running' ? false : job.body;
  }, { timeoutMs: 30_000, intervalMs: 100 });
}

/** A projection's counters as GET /admin/projections shows them (asked as the platform operator). */
export async function projectionStatus(baseUrl: string, name: string): Promise<Record<string, unknown>> {
  const reply = await operatorCall(baseUrl, 'GET', '/admin/projections');
  const all = reply.body['projections'];
  const found = Array.isArray(all) ? (all as Record<string, unknown>[]).find((p) => p['name'] === name) : undefined;
  if (!found) throw new Error(`no projection ${name}: ${JSON.stringify(reply.body)}`);
  return found;
}

/**
 * Creates every event topic of a prefix (and waits until each answers) before a test publishes
 * onto topics that the services under test only consume.
 */
export async function createEventTopics(topicPrefix: string): Promise<void> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    const topics = SERVICE_NAMES.flatMap((s) => (SERVICES[s].topic ? [eventTopic(`${topicPrefix}${SERVICES[s].topic}`)] : []));
    await waitFor(`the event topics of ${topicPrefix}`, async () => {
      await ensureTopics(admin, topics);
      for (const t of topics) await admin.fetchTopicOffsets(t.topic);
      return true;
    }, { timeoutMs: 30_000, intervalMs: 200 });
  } finally {
    await admin.disconnect();
  }
}

/** GET /admin/dead-letters (as the platform operator), following pages: every dead letter of the service (or of one projection). */
export async function listDeadLetters(baseUrl: string, projection?: string): Promise<Record<string, unknown>[]> {
  const letters: Record<string, unknown>[] = [];
  let cursor: string | undefined;
  for (;;) {
    const q = new URLSearchParams({ limit: '100', ...(projection ? { projection } : {}), ...(cursor ? { cursor } : {}) });
    const reply = await operatorCall(baseUrl, 'GET', `/admin/dead-letters?${q.toString()}`);
    const items = reply.body['items'];
    if (reply.status !== 200 || !Array.isArray(items)) throw new Error(`GET /admin/dead-letters answered ${reply.status} ${JSON.stringify(reply.body)}`);
    letters.push(...(items as Record<string, unknown>[]));
    const next = reply.body['nextCursor'];
    if (typeof next !== 'string') return letters;
    cursor = next;
  }
}

/** GET /metrics (an operator route, asked as the platform operator) as Prometheus text. */
export async function metricsText(baseUrl: string): Promise<string> {
  const reply = await operatorCall(baseUrl, 'GET', '/metrics');
  if (reply.status !== 200) throw new Error(`GET /metrics answered ${reply.status}`);
  return reply.text;
}
