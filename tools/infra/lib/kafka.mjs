import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
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

/**
 * Makes sure the Kafka jars (the broker and its command-line tools) are in the cache, resolved
 * once from Maven Central. The directory is named by the pom's hash, so a changed pom (kafka-tools
 * added, a new version) fetches into a new one while a running broker keeps its jars; concurrent
 * provisioning is safe (each fetch goes to its own staging directory, renamed into place).
 */
export function provisionKafka(log = console.log) {
  checkJava();
  const version = kafkaVersion();
  const hash = createHash('sha256').update(readFileSync(POM)).digest('hex').slice(0, 12);
  const home = join(CACHE_DIR, `kafka-${version}-${hash}`);
  const libs = join(home, 'libs');
  if (existsSync(join(home, '.complete'))) return { home, libs, version, fresh: false };
  requireTool('mvn', ['-v'], 'install Apache Maven (apt-get install maven): it fetches the Kafka jars from Maven Central');
  log(`[infra] fetching Apache Kafka ${version} jars (broker and tools) from Maven Central into ${libs} ...`);
  const staging = `${libs}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(home, { recursive: true });
  run('mvn', ['-q', '-B', '-f', POM, 'dependency:copy-dependencies', '-DincludeScope=runtime',
    `-DoutputDirectory=${staging}`], { what: `mvn (fetching Kafka ${version})` });
  if (existsSync(join(home, '.complete'))) {
    rmSync(staging, { recursive: true, force: true });
  } else {
    rmSync(libs, { recursive: true, force: true });
    renameSync(staging, libs);
    writeFileSync(join(home, '.complete'), new Date().toISOString());
  }
  return { home, libs, version, fresh: true };
}

/** Kafka's command-line tools (kafka-tools), by the name of their script in Kafka's distribution. */
export const KAFKA_TOOLS = {
  'kafka-console-consumer': 'org.apache.kafka.tools.consumer.ConsoleConsumer',
  'kafka-console-producer': 'org.apache.kafka.tools.ConsoleProducer',
  'kafka-topics': 'org.apache.kafka.tools.TopicCommand',
  'kafka-consumer-groups': 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
  'kafka-get-offsets': 'org.apache.kafka.tools.GetOffsetShell',
};

/**
 * Runs one of Kafka's tools from the cached jars with the caller's terminal (for example
 * `kafka-console-consumer --bootstrap-server 127.0.0.1:9092 --topic keys.events --from-beginning`)
 * and resolves to its exit status.
 */
export function runKafkaTool(tool, args, log = console.log) {
  const main = KAFKA_TOOLS[tool];
  if (!main) throw new InfraError(`unknown Kafka tool "${tool}"`, `one of: ${Object.keys(KAFKA_TOOLS).join(', ')}`);
  const { libs } = provisionKafka(log);
  return new Promise((resolvePromise) => {
    const child = spawn('java', ['-Xmx512m', '-Dlog4j2.level=WARN', '-cp', `${libs}/*`, main, ...args], { stdio: 'inherit' });
    // Ctrl-C reaches the tool from the terminal; a signal to this process is passed on.
    for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
    child.once('exit', (code, signal) => resolvePromise(code ?? (signal ? 130 : 1)));
  });
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
