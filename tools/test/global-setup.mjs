// Starts the real Kafka and FerretDB once per Jest run, on free loopback ports and in a fresh data
// directory, unless KAFKA_BROKERS and MONGODB_URI point at infrastructure brought by the caller.
// Workers inherit the environment set here.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { externalInfra, startInfra } from '../infra/lib/infra.mjs';

// A run of unit specs only (`--selectProjects unit`, or every path given is a *.unit.spec.ts) needs
// no broker or database: starting a JVM and FerretDB for it cost ~20 s and a core on a busy machine.
export function onlyUnitSpecs(argv) {
  const selected = argv.flatMap((arg, i) => {
    if (arg.startsWith('--selectProjects=')) return arg.slice('--selectProjects='.length).split(',');
    return arg === '--selectProjects' && argv[i + 1] ? [argv[i + 1]] : [];
  });
  if (selected.length > 0) return selected.every((name) => name === 'unit');
  const paths = argv.slice(2).filter((arg) => /\.spec\.ts$/.test(arg));
  return paths.length > 0 && paths.length === argv.slice(2).filter((arg) => !arg.startsWith('-')).length
    && paths.every((path) => path.endsWith('.unit.spec.ts'));
}

export default async function globalSetup() {
  // Services under test log warnings and errors only; their start-up chatter hides failures.
  process.env.LOG_LEVEL ??= 'warn';
  if (externalInfra() || onlyUnitSpecs(process.argv)) return;
  const dataDir = mkdtempSync(join(tmpdir(), 'keyward-test-'));
  const infra = await startInfra({ dataDir, ports: 'free', log: (m) => process.stderr.write(`${m}\n`) });
  Object.assign(process.env, infra.env, { KEYWARD_TEST_DATA_DIR: dataDir });
  globalThis.__keywardInfra = infra;
}
