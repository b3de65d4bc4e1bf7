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
