import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InfraError } from './errors.mjs';
import { CACHE_DIR, INFRA_DIR } from './paths.mjs';
import { assertPortFree, killFromPidFile, requireTool, run, spawnServer, waitUntil } from './proc.mjs';

const POM = join(INFRA_DIR, 'kafka', 'pom.xml');

export function kafkaVersion() {
  const m = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(POM, 'utf8'));
  if (!m) throw new InfraError(`no <kafka.version> in ${POM}`);
  return m[1];
}

function checkJava() {
  const out = requireTool('java', ['-version'],
    'install Java 17 or newer (Debian: apt-get install openjdk-17-jre-headless) and put java on PATH');
  const m = /version "(\d+)/.exec(out);
  if (m && Number(m[1]) < 17) {
    throw new InfraError(`Kafka ${kafkaVersion()} needs Java 17 or newer, found Java ${m[1]}`,
      'install Java 17 (apt-get install openjdk-17-jre-headless) or point JAVA_HOME/PATH at it');
  }
}

/** Makes sure the Kafka jars are in the cache (resolved once from Maven Central). */
export function provisionKafka(log = console.log) {
  checkJava();
  const version = kafkaVersion();
  const home = join(CACHE_DIR, `kafka-${version}`);
  const libs = join(home, 'libs');
  if (existsSync(join(home, '.complete'))) return { home, libs, version, fresh: false };
  requireTool('mvn', ['-v'], 'install Apache Maven (apt-get install maven): it fetches the Kafka jars from Maven Central');
  log(`[infra] fetching Apache Kafka ${version} jars from Maven Central into ${libs} ...`);
  const staging = `${libs}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(home, { recursive: true });
  run('mvn', ['-q', '-B', '-f', POM, 'dependency:copy-dependencies', '-DincludeScope=runtime',
    `-DoutputDirectory=${staging}`], { what: `mvn (fetching Kafka ${version})` });
  rmSync(libs, { recursive: true, force: true });
  renameSync(staging, libs);
  writeFileSync(join(home, '.complete'), new Date().toISOString());
  return { home, libs, version, fresh: true };
}

function serverProperties({ port, controllerPort, dataDir }) {
  return [
    '# Single-node KRaft broker for local development and tests; written by tools/infra.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${join(dataDir, 'logs')}`,
    // One node: every internal topic has a single replica.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'default.replication.factor=1',
    'min.insync.replicas=1',
    // Services create their topics explicitly, with the partitions and retention they need.
    'auto.create.topics.enable=false',
    'num.partitions=1',
    // A consumer group forms at once instead of waiting 3 s for more members.
    'group.initial.rebalance.delay.ms=0',
    'num.network.threads=2',
    'num.io.threads=4',
    '',
  ].join('\n');
}

function log4jConfig(logFile) {
  return `Configuration:
  status: warn
  Appenders:
    File:
      name: file
      fileName: "${logFile}"
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: INFO
      AppenderRef:
        - ref: file
    Logger:
      - name: kafka
        level: INFO
      - name: org.apache.kafka
        level: WARN
`;
}

/**
 * Starts a single-node KRaft Kafka on 127.0.0.1:port with its data in dataDir and waits until a
 * client can talk to it. Returns { brokers, stop }.
 */
export async function startKafka({ dataDir, port, controllerPort, readyTimeoutMs = 180_000, log = console.log }) {
  const { libs, version } = provisionKafka(log);
  mkdirSync(dataDir, { recursive: true });
  const pidFile = join(dataDir, 'kafka.pid');
  if (await killFromPidFile(pidFile)) log(`[infra] stopped a Kafka left running by an earlier run (${dataDir})`);
  await assertPortFree(port, 'Kafka', 'KEYWARD_KAFKA_PORT');
  await assertPortFree(controllerPort, 'the Kafka controller', 'KEYWARD_KAFKA_CONTROLLER_PORT');

  const propsFile = join(dataDir, 'server.properties');
  const logFile = join(dataDir, 'kafka.log');
  const log4jFile = join(dataDir, 'log4j2.yaml');
  writeFileSync(propsFile, serverProperties({ port, controllerPort, dataDir }));
  // Kafka reads log4j2 YAML only with jackson-dataformat-yaml, which kafka_2.13 brings along.
  writeFileSync(log4jFile, log4jConfig(logFile));
  const classpath = `${libs}/*`;
  const jvm = ['-Xms256m', '-Xmx1g', '-XX:+UseG1GC', '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${log4jFile}`, '-cp', classpath];

  if (!existsSync(join(dataDir, 'logs', 'meta.properties'))) {
    run('java', [...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', propsFile],
      { what: 'formatting the Kafka data directory' });
  }
  const server = spawnServer('java', [...jvm, 'kafka.Kafka', propsFile], {
    logFile: join(dataDir, 'kafka.out'), pidFile,
  });
  const brokers = `127.0.0.1:${port}`;
  const err = await waitUntil(() => kafkaAnswers(brokers), {
    timeoutMs: readyTimeoutMs,
    bail: () => server.hasExited() ? `Kafka ${version} exited during start-up; see ${logFile} and ${join(dataDir, 'kafka.out')}` : undefined,
  });
  if (err) {
    await server.stop(5_000);
    throw new InfraError(`Kafka did not become ready in ${readyTimeoutMs / 1000} s (last error: ${err.message})`,
      `read ${logFile}; if the data directory is damaged, run: npm run infra -- wipe`);
  }
  return { brokers, version, logFile, stop: () => server.stop() };
}

/**
 * A KRaft cluster id: 16 random bytes in URL-safe base64 without padding. Never one that starts with
 * '-': the storage tool would read it as an option and refuse to format (1 start in 64 failed so);
 * Kafka's own Uuid.randomUuid() avoids the same prefix.
 */
function clusterId() {
  for (;;) {
    const id = Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

async function kafkaAnswers(brokers) {
  const { Kafka, logLevel } = await import('kafkajs');
  const admin = new Kafka({ clientId: 'keyward-infra', brokers: [brokers], logLevel: logLevel.NOTHING,
    retry: { retries: 0 }, connectionTimeout: 1000 }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
