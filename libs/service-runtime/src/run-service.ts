import 'reflect-metadata';
import type { DynamicModule, INestApplication, LoggerService, Type } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { ModulesContainer, NestFactory, Reflector } from '@nestjs/core';
import type { CustomStrategy } from '@nestjs/microservices';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { ServiceConfig } from '@keyward/config';
import { ConfigError, loadServiceConfig } from '@keyward/config';
import { isServiceName } from '@keyward/contracts';
import { createValidationPipe, PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE, ProblemFilter } from '@keyward/problem';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger as Pino } from 'pino';
import { refuseNonCanonicalPaths, strictExpress } from './http/canonical-path';
import { useJsonBodies } from './http/json-body';
import { hostUrls, listenOnHosts } from './http/listen-hosts';
import { countRequests } from './metrics/http-metrics';
import { createRootLogger, nestLoggerFor } from './logging/logger';
import { Metrics } from './metrics/metrics';
import { ConcurrencyLimitInterceptor } from './overload/concurrency-limit.interceptor';
import { ConcurrencyLimiter } from './overload/concurrency-limiter';
import { WriteRateLimiter } from './overload/write-rate-limiter';
import { systemClock } from './clock/clock';
import { serveOpenApi } from './openapi/serve-openapi';
import { InfraStatus } from './infra/infra-status';
import { SERVICE_CONFIG } from './tokens';
import { EventConsumers } from './events/event-consumers';
import { EventConsumerTransport } from './events/event-consumer.transport';

/**
 * Node answers requests it cannot parse (headers over its 16 KiB limit, broken HTTP) before any
 * framework sees them, with an empty body; these answers are problem+json like all others.
 */
function answerClientErrorsAsProblems(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const [status, code, title] = err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers_too_large', 'Request header fields too large']
      : [400, 'bad_request', 'Bad request'];
    const body = JSON.stringify({ type: PROBLEM_TYPE_BASE + code, title, status, code });
    socket.end(`HTTP/1.1 ${status} ${title}\r\ncontent-type: ${PROBLEM_CONTENT_TYPE}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });
}

export interface HttpOptions {
  /** Parse JSON bodies (every service but the edge, which streams them through unparsed). */
  readonly jsonBody?: boolean;
}

/** Applies what every service's HTTP layer has: body limit, validation, problem+json errors, GET /openapi.json. */
export function configureHttp(app: NestExpressApplication, config: ServiceConfig, options: HttpOptions = {}, root: Pino = createRootLogger(config)): void {
  countRequests(app, app.get(Metrics), root);
  refuseNonCanonicalPaths(app);
  serveOpenApi(app, config.service);
  if (options.jsonBody !== false) useJsonBodies(app, config.bodyLimitBytes);
  answerClientErrorsAsProblems(app.getHttpServer() as Server);
  app.useGlobalFilters(new ProblemFilter());
  app.useGlobalPipes(createValidationPipe());
  // Overload is shed, not queued: database-bound work beyond the limit answers 503 `overloaded`.
  const limiter = new ConcurrencyLimiter({
    maxConcurrent: config.limits.maxConcurrentRequests,
    maxQueued: config.limits.maxQueuedRequests,
    maxQueueWaitMs: config.limits.maxQueueWaitMs,
  });
  // Without a write rate (the default) the interceptor does not look at the method at all.
  const writes = config.limits.maxWritesPerSecond > 0 ? new WriteRateLimiter(config.limits.maxWritesPerSecond, systemClock) : undefined;
  app.useGlobalInterceptors(new ConcurrencyLimitInterceptor(limiter, app.get(Reflector), writes));
  app.disable('x-powered-by');
}

/** Creates a service's Nest application with the shared HTTP set-up, without listening. */
export type RootModule = Type<unknown> | DynamicModule;

/** A process's logging: the pino root (JSON lines) and Nest's logger writing through it. */
export interface ServiceLogging {
  readonly root: Pino;
  readonly nest: LoggerService;
}

export function serviceLogging(config: ServiceConfig): ServiceLogging {
  const root = createRootLogger(config);
  return { root, nest: nestLoggerFor(root) };
}

/**
 * `logging` made from the configuration already read (runService): the app logs through it from
 * its first line, not buffered, so while it waits for its database or Kafka at start its log says
 * so. Without (tests in process), the app's own configuration decides once it is built.
 */
export async function createServiceApp(rootModule: RootModule, options: HttpOptions = {}, logging?: ServiceLogging): Promise<NestExpressApplication> {
  if (logging) Logger.overrideLogger(logging.nest);
  const app = await NestFactory.create<NestExpressApplication>(rootModule, new ExpressAdapter(strictExpress()),
    { bodyParser: false, ...(logging ? { logger: logging.nest } : { bufferLogs: true }) });
  const config = app.get<ServiceConfig>(SERVICE_CONFIG);
  const used = logging ?? serviceLogging(config);
  if (!logging) app.useLogger(used.nest);
  configureHttp(app, config, options, used.root);
  // A hybrid app: HTTP, and the @EventPattern handlers of its controllers on our event transport,
  // which starts the service's consumers at `startAllMicroservices()` (startServiceApp).
  app.connectMicroservice<CustomStrategy>({ strategy: new EventConsumerTransport(app.get(EventConsumers), app.get(ModulesContainer)) });
  return app;
}

/**
 * Initializes the app (modules, lifecycle hooks) and starts its event consumers (the hybrid
 * transport's listen(): handlers bound, then the consumers start; none of them throws when Kafka or
 * the database is not up yet). The caller listens for HTTP next.
 */
export async function startServiceApp(app: INestApplication): Promise<void> {
  await app.init();
  await app.startAllMicroservices();
}

/**
 * Answers while the application is being built (waiting for its database and Kafka): /health 200
 * `starting`, everything else 503 `not_ready` with Retry-After and what is awaited, so a load
 * balancer or the edge sees an honest "not yet" instead of a refused connection or a crash loop.
 */
function startupListener(name: string, config: ServiceConfig): Promise<Server> {
  const startedAt = Date.now();
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'starting', service: name, uptimeSeconds: Math.round((Date.now() - startedAt) / 1000) }));
      return;
    }
    const detail = `starting: ${InfraStatus.latest?.describe() ?? 'loading'}`;
    const body = JSON.stringify({ type: PROBLEM_TYPE_BASE + 'not_ready', title: 'Service not ready', status: 503, code: 'not_ready', detail, service: name, instance: path });
    res.writeHead(503, { 'content-type': PROBLEM_CONTENT_TYPE, 'retry-after': '2', connection: 'close' });
    res.end(body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // The first host of HOST is enough to say "not yet"; the app listens on all of them.
    server.listen(config.port, config.host.split(',')[0]?.trim() || '127.0.0.1', () => resolve(server));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

const message = (e: unknown): string => (e instanceof ConfigError ? e.message : e instanceof Error ? `${e.name}: ${e.message}` : String(e));

/**
 * The main() of every service: listen at once (503 not ready while the database and Kafka are
 * awaited), then build the app and hand the port over to it; stop on SIGINT/SIGTERM within the
 * shutdown deadline whatever state the app is in. A configuration failure is printed as one
 * clear line and exits with status 1; an absent dependency is waited for, not fatal.
 */
export async function runService(name: string, rootModuleFactory: () => RootModule, options: HttpOptions = {}): Promise<INestApplication> {
  const logger = new Logger(name);
  let app: NestExpressApplication | undefined;
  let starting: Server | undefined;
  let stopping = false;
  let shutdownTimeoutMs = 8000;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received, stopping (at most ${shutdownTimeoutMs} ms)`);
    InfraStatus.latest?.stop();
    const deadline = setTimeout(() => {
      logger.warn(`${name} did not stop within ${shutdownTimeoutMs} ms; exiting anyway`);
      process.exit(1);
    }, shutdownTimeoutMs);
    deadline.unref();
    void (async () => {
      try {
        if (starting) await closeServer(starting);
        if (app) await app.close();
        logger.log(`${name} stopped`);
        process.exit(0);
      } catch (e) {
        logger.error(`${name} failed to stop cleanly: ${message(e)}`);
        process.exit(1);
      }
    })();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  let config: ServiceConfig | undefined;
  try {
    config = isServiceName(name) ? loadServiceConfig(name) : undefined;
  } catch (e) {
    // Not even the log settings are known: one JSON line at the defaults says why, then exit.
    createRootLogger({ service: name, instanceId: 'unknown', logLevel: 'info', logFormat: 'json' })
      .fatal({ context: name }, `${name} failed to start: ${message(e)}`);
    process.exit(1);
  }
  const logging = config ? serviceLogging(config) : undefined;
  if (logging) Logger.overrideLogger(logging.nest);
  try {
    const rootModule = rootModuleFactory();
    if (config) {
      shutdownTimeoutMs = config.limits.shutdownTimeoutMs;
      starting = await startupListener(name, config);
    }
    app = await createServiceApp(rootModule, options, logging);
    const appConfig = app.get<ServiceConfig>(SERVICE_CONFIG);
    shutdownTimeoutMs = appConfig.limits.shutdownTimeoutMs;
    await startServiceApp(app);
    if (stopping) return app;
    // Hand the port over: the few milliseconds between the two are a refused connection, which
    // every client treats like "not started yet".
    if (starting) await closeServer(starting);
    starting = undefined;
    await listenOnHosts(app, appConfig.host, appConfig.port, answerClientErrorsAsProblems);
    logger.log(`${name} listening on ${hostUrls(appConfig.host, appConfig.port).join(', ')}`);
    return app;
  } catch (e) {
    if (stopping) return new Promise<never>(() => undefined);
    logger.error(`${name} failed to start: ${message(e)}`);
    process.exit(1);
  }
}
