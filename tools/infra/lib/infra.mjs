import { join } from 'node:path';
import { startFerretDb } from './ferretdb.mjs';
import { startKafka } from './kafka.mjs';
import { freePort } from './proc.mjs';

/**
 * Starts Kafka and FerretDB side by side on loopback.
 * ports: 'fixed' uses 9092/9093/27017 (or KEYWARD_*_PORT), 'free' asks the OS (test runs, so a
 * running platform and a test run never fight over a port).
 */
export async function startInfra({ dataDir, ports = 'fixed', log = console.log }) {
  const pick = async (envVar, fixed) =>
    ports === 'free' ? freePort() : Number(process.env[envVar] ?? fixed);
  const kafkaPort = await pick('KEYWARD_KAFKA_PORT', 9092);
  const controllerPort = await pick('KEYWARD_KAFKA_CONTROLLER_PORT', 9093);
  const mongoPort = await pick('KEYWARD_MONGODB_PORT', 27017);

  const started = Date.now();
  const [kafka, ferret] = await Promise.allSettled([
    startKafka({ dataDir: join(dataDir, 'kafka'), port: kafkaPort, controllerPort, log }),
    startFerretDb({ dataDir: join(dataDir, 'ferretdb'), port: mongoPort, log }),
  ]);
  if (kafka.status === 'rejected' || ferret.status === 'rejected') {
    if (kafka.status === 'fulfilled') await kafka.value.stop();
    if (ferret.status === 'fulfilled') await ferret.value.stop();
    throw kafka.status === 'rejected' ? kafka.reason : /** @type {PromiseRejectedResult} */ (ferret).reason;
  }
  log(`[infra] Kafka ${kafka.value.version} on ${kafka.value.brokers}, FerretDB ${ferret.value.version} on ` +
    `${ferret.value.uri} (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return {
    env: { KAFKA_BROKERS: kafka.value.brokers, MONGODB_URI: ferret.value.uri },
    logs: { kafka: kafka.value.logFile, ferretdb: ferret.value.logFile },
    async stop() {
      await Promise.all([kafka.value.stop(), ferret.value.stop()]);
    },
  };
}

/** True when the caller brought its own Kafka and MongoDB: nothing is provisioned then. */
export function externalInfra() {
  const { KAFKA_BROKERS, MONGODB_URI } = process.env;
  return KAFKA_BROKERS && MONGODB_URI ? { KAFKA_BROKERS, MONGODB_URI } : undefined;
}
