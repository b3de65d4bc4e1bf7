// `npx nx run keys:bootstrap [-- --account acc_x --name "..." --json]`: creates the first account's
// admin key, printing its secret once; running it again reports the existing key, never a secret.
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { loadServiceConfig, topicName } from '@keyward/config';
import { KEYS_EVENTS_TOPIC } from '@keyward/contracts';
import { AggregateStore, MongoEventStore, MongoViewStore, OutboxRelay } from '@keyward/event-store';
import { createIdempotentProducer, RenewableProducer } from '@keyward/messaging';
import { connectDatabase, connectKafka, InfraStatus, systemClock } from '@keyward/service-runtime';
import { apiKeyDefinition, KEY_VIEWS_NAME } from '../application/api-key.aggregate';
import type { KeyView } from '../application/key.view';
import { toKeyView } from '../application/key.view';
import { bootstrapAdminKey } from './bootstrap';

const HELP = `usage: nx run keys:bootstrap -- [--account acc_primary] [--name "First admin key"] [--json]

Creates the account's first admin key (private, every permission) and prints its secret once.
Idempotent: when the key exists it says so and prints its id and prefix, never a secret.
Needs KAFKA_BROKERS and MONGODB_URI (and MONGODB_DATABASE if the keys service uses another).`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { account: { type: 'string', default: 'acc_primary' }, name: { type: 'string', default: 'First admin key' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const config = loadServiceConfig('keys');
  // Started with the platform, it may run before the database or Kafka is up: wait for both
  // (retrying, as the services do), for at most two minutes.
  const status = new InfraStatus();
  setTimeout(() => status.stop(), 120_000).unref();
  const connection = await connectDatabase(config, status);
  const kafka = await connectKafka(config, status);
  const producer = new RenewableProducer(() => createIdempotentProducer(kafka));
  const store = new MongoEventStore(connection, { now: () => systemClock.now() });
  // The service's aggregate and read model without the service (its relay, consumers and HTTP):
  // the key's view is written as the service writes it, so the service lists the key at once.
  const views = new MongoViewStore<KeyView>(connection, KEY_VIEWS_NAME);
  const aggregates = new AggregateStore(store, apiKeyDefinition, () => systemClock.now(), async (id, state) => {
    const view = toKeyView(id, state);
    if (view) await views.save(view);
  });
  const topic = topicName(config, KEYS_EVENTS_TOPIC);
  const relay = new OutboxRelay(store, producer, connection, { topic, now: () => systemClock.now() });
  try {
    await store.init();
    await producer.connect();
    const result = await bootstrapAdminKey(aggregates, values.account, values.name);
    relay.start();
    await relay.flush();
    if (values.json) {
      console.log(JSON.stringify(result));
    } else if (result.created) {
      console.log(`Created the admin key ${result.keyId} of account ${result.accountId}.`);
      console.log(`Its secret, shown this once and never again (store it now):\n\n  ${result.secret}\n`);
      console.log(`Use it as: curl -H "Authorization: Bearer ${result.secret}" http://127.0.0.1:3001/v1/keys`);
    } else {
      console.log(`Account ${result.accountId} already has its admin key ${result.keyId} (${result.tokenPrefix}...).`);
      console.log('Its secret was shown when it was created and is not stored anywhere. With it, rotate it:');
      console.log(`  curl -X POST -H "Authorization: Bearer <secret>" http://127.0.0.1:3001/v1/keys/${result.keyId}/rotate`);
    }
  } finally {
    await relay.stop();
    await producer.disconnect().catch(() => undefined);
    await status.admin?.disconnect().catch(() => undefined);
    await connection.close();
  }
}

main().catch((e: unknown) => {
  console.error(`bootstrap failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
