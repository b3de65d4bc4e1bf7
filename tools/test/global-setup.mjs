// Starts the real Kafka and FerretDB once per Jest run, on free loopback ports and in a fresh data
// directory, unless KAFKA_BROKERS and MONGODB_URI point at infrastructure brought by the caller.
// Workers inherit the environment set here.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { externalInfra, startInfra } from '../infra/lib/infra.mjs';

export default async function globalSetup() {
  // Services under test log warnings and errors only; their start-up chatter hides failures.
  process.env.LOG_LEVEL ??= 'warn';
  if (externalInfra()) return;
  const dataDir = mkdtempSync(join(tmpdir(), 'keyward-test-'));
  const infra = await startInfra({ dataDir, ports: 'free', log: (m) => process.stderr.write(`${m}\n`) });
  Object.assign(process.env, infra.env, { KEYWARD_TEST_DATA_DIR: dataDir });
  globalThis.__keywardInfra = infra;
}
