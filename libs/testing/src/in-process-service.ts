import type { NestExpressApplication } from '@nestjs/platform-express';
import type { ServiceConfig } from '@keyward/config';
import { loadServiceConfig } from '@keyward/config';
import type { ServiceName } from '@keyward/contracts';
import type { RootModule } from '@keyward/service-runtime';
import { createServiceApp, startServiceApp } from '@keyward/service-runtime';
import { TEST_OPERATOR_TOKEN } from './operator-token';
import { TEST_AUTH_FAILURE_LIMIT, TEST_EDGE_SIGNING_SECRET } from './edge-signing';
import { testInfra, testName } from './test-infra';

/**
 * A service configuration for one test: the run's Kafka and FerretDB, a database and a topic
 * prefix of its own (so its topics and consumer groups are its own too), any free port.
 */
export function testServiceConfig(service: ServiceName, env: Record<string, string> = {}): ServiceConfig {
  const infra = testInfra();
  return loadServiceConfig(service, {
    KAFKA_BROKERS: infra.kafkaBrokers.join(','),
    MONGODB_URI: infra.mongodbUri,
    MONGODB_DATABASE: testName(service),
    KAFKA_TOPIC_PREFIX: `${testName(service)}.`,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    OPERATOR_TOKENS: TEST_OPERATOR_TOKEN,
    EDGE_SIGNING_SECRET: TEST_EDGE_SIGNING_SECRET,
    AUTH_FAILURE_LIMIT: TEST_AUTH_FAILURE_LIMIT,
    ...env,
  });
}

export interface InProcessService {
  readonly app: NestExpressApplication;
  readonly url: string;
  close(): Promise<void>;
}

/** Starts a service's Nest app inside the test process (for a controllable clock), listening on a free port. */
export async function startInProcess(rootModule: RootModule): Promise<InProcessService> {
  const app = await createServiceApp(rootModule);
  await startServiceApp(app);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}
