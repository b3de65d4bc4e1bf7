// `npx nx run event-store:migrate -- --service keys`: rewrites a service's event store written by
// the earlier layout (events by random `_id`, a position counter, `published` flags) into the
// `_id` = stream + version layout with an outbox collection. Run it with the service stopped;
// it is idempotent and resumable (run it again after a crash).
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { loadServiceConfig } from '@keyward/config';
import { isServiceName, SERVICES } from '@keyward/contracts';
import { connectDatabase, InfraStatus } from '@keyward/service-runtime';
import { migrateEventStoreLayout } from '../migrate-layout';

const HELP = `usage: nx run event-store:migrate -- --service <${Object.keys(SERVICES).join('|')}>

Migrates the service's event store (in MONGODB_URI, database MONGODB_DATABASE or the service's
default) to the current layout. Stop the service first. Safe to run again.`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { service: { type: 'string' }, help: { type: 'boolean', default: false } } });
  if (values.help || values.service === undefined) {
    console.log(HELP);
    return;
  }
  if (!isServiceName(values.service)) throw new Error(`unknown service "${values.service}"`);
  const config = loadServiceConfig(values.service);
  const status = new InfraStatus();
  setTimeout(() => status.stop(), 60_000).unref();
  const connection = await connectDatabase(config, status);
  try {
    const result = await migrateEventStoreLayout(connection, 'events', (m) => console.log(m));
    console.log(`${values.service}: ${result.migrated} event(s) migrated (${result.unpublished} left for the relay to publish), ${result.alreadyMigrated} already in the current layout.`);
  } finally {
    await connection.close();
  }
}

main().catch((e: unknown) => {
  console.error(`migration failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
