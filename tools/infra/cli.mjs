#!/usr/bin/env node
// Local infrastructure for Keyward: a single-node Apache Kafka (KRaft) and FerretDB (SQLite),
// both on loopback. Usage: npm run infra -- <provision|start|stop|wipe|help>
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDependencies } from '../lib/dependencies.mjs';

const HELP = `usage: npm run infra -- <command>

  provision  fetch the Kafka jars (Maven Central) and build FerretDB (Go module, with
             tools/infra/ferretdb/patches applied) into the cache
  start      start Kafka on 127.0.0.1:9092 and FerretDB on 127.0.0.1:27017 and wait; Ctrl-C stops them
  stop       stop a Kafka or FerretDB left running by an earlier start
  wipe       stop them and delete their data (the cache of jars and binaries stays)
  kafka-console-consumer | kafka-console-producer | kafka-topics | kafka-consumer-groups | kafka-get-offsets
             run that Kafka tool (kafka-tools, provisioned with the broker) against the platform's
             Kafka; --bootstrap-server defaults to $KAFKA_BROKERS or 127.0.0.1:<KEYWARD_KAFKA_PORT, 9092>.
             Read a topic:  npm run infra -- kafka-console-consumer --topic keys.events --from-beginning
  help       this text

environment: KEYWARD_CACHE_DIR (default ~/.cache/keyward), KEYWARD_DATA_DIR (default <cache>/data),
KEYWARD_KAFKA_PORT, KEYWARD_KAFKA_CONTROLLER_PORT, KEYWARD_MONGODB_PORT`;

const command = process.argv[2] ?? 'help';
ensureDependencies();
const { DATA_DIR } = await import('./lib/paths.mjs');
const { killFromPidFile } = await import('./lib/proc.mjs');

async function stopLeftovers() {
  const a = await killFromPidFile(join(DATA_DIR, 'kafka', 'kafka.pid'));
  const b = await killFromPidFile(join(DATA_DIR, 'ferretdb', 'ferretdb.pid'));
  return a || b;
}

try {
  switch (command) {
    case 'provision': {
      const { provisionKafka } = await import('./lib/kafka.mjs');
      const { provisionFerretDb } = await import('./lib/ferretdb.mjs');
      const t = Date.now();
      const k = provisionKafka();
      const f = provisionFerretDb();
      console.log(`[infra] Kafka ${k.version}: ${k.libs}\n[infra] FerretDB ${f.version}: ${f.bin}\n` +
        `[infra] provisioned in ${((Date.now() - t) / 1000).toFixed(1)} s`);
      break;
    }
    case 'start': {
      const { startInfra } = await import('./lib/infra.mjs');
      const infra = await startInfra({ dataDir: DATA_DIR });
      console.log(`export KAFKA_BROKERS=${infra.env.KAFKA_BROKERS} MONGODB_URI=${infra.env.MONGODB_URI}`);
      console.log('[infra] running; Ctrl-C stops Kafka and FerretDB');
      const shutdown = async () => {
        await infra.stop();
        process.exit(0);
      };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
      break;
    }
    case 'stop':
      console.log((await stopLeftovers()) ? '[infra] stopped' : '[infra] nothing was running');
      break;
    case 'wipe':
      await stopLeftovers();
      rmSync(DATA_DIR, { recursive: true, force: true });
      console.log(`[infra] wiped ${DATA_DIR}`);
      break;
    case 'kafka-console-consumer':
    case 'kafka-console-producer':
    case 'kafka-topics':
    case 'kafka-consumer-groups':
    case 'kafka-get-offsets': {
      const { runKafkaTool } = await import('./lib/kafka.mjs');
      const args = process.argv.slice(3);
      const server = process.env.KAFKA_BROKERS?.split(',')[0] ?? `127.0.0.1:${process.env.KEYWARD_KAFKA_PORT ?? 9092}`;
      if (!args.includes('--bootstrap-server')) args.unshift('--bootstrap-server', server);
      process.exitCode = await runKafkaTool(command, args, (m) => console.error(m));
      break;
    }
    case 'help':
    case '--help':
      console.log(HELP);
      break;
    default:
      console.error(`unknown command: ${command}\n\n${HELP}`);
      process.exit(2);
  }
} catch (e) {
  console.error(`[infra] ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
