import 'reflect-metadata';
import type { DynamicModule, INestApplication, LogLevel, Type } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { ServiceConfig } from '@keyward/config';
import { ConfigError } from '@keyward/config';
import { createValidationPipe, PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE, ProblemFilter } from '@keyward/problem';
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { refuseNonCanonicalPaths, strictExpress } from './http/canonical-path';
import { useJsonBodies } from './http/json-body';
import { hostUrls, listenOnHosts } from './http/listen-hosts';
import { countRequests } from './metrics/http-metrics';
import { Metrics } from './metrics/metrics';
import { serveOpenApi } from './openapi/serve-openapi';
import { SERVICE_CONFIG } from './tokens';

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

const LEVELS: Record<ServiceConfig['logLevel'], LogLevel[]> = {
  debug: ['debug', 'log', 'warn', 'error', 'fatal'],
  info: ['log', 'warn', 'error', 'fatal'],
  warn: ['warn', 'error', 'fatal'],
  error: ['error', 'fatal'],
};

export interface HttpOptions {
  /** Parse JSON bodies (every service but the edge, which streams them through unparsed). */
  readonly jsonBody?: boolean;
}

/** Applies what every service's HTTP layer has: body limit, validation, problem+json errors, GET /openapi.json. */
export function configureHttp(app: NestExpressApplication, config: ServiceConfig, options: HttpOptions = {}): void {
  countRequests(app, app.get(Metrics));
  refuseNonCanonicalPaths(app);
  serveOpenApi(app, config.service);
  if (options.jsonBody !== false) useJsonBodies(app, config.bodyLimitBytes);
  answerClientErrorsAsProblems(app.getHttpServer() as Server);
  app.useGlobalFilters(new ProblemFilter());
  app.useGlobalPipes(createValidationPipe());
  app.disable('x-powered-by');
  app.enableShutdownHooks();
}

/** Creates a service's Nest application with the shared HTTP set-up, without listening. */
export type RootModule = Type<unknown> | DynamicModule;

export async function createServiceApp(rootModule: RootModule, options: HttpOptions = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(rootModule, new ExpressAdapter(strictExpress()), {
    bodyParser: false,
    bufferLogs: true,
    logger: LEVELS[(process.env['LOG_LEVEL'] as ServiceConfig['logLevel']) ?? 'info'] ?? LEVELS.info,
  });
  configureHttp(app, app.get<ServiceConfig>(SERVICE_CONFIG), options);
  return app;
}

/**
 * The main() of every service: create, listen, log where, stop cleanly on SIGINT/SIGTERM.
 * A configuration or start-up failure is printed as one clear line and exits with status 1.
 */
export async function runService(name: string, rootModuleFactory: () => RootModule, options: HttpOptions = {}): Promise<INestApplication> {
  const logger = new Logger(name);
  try {
    const app = await createServiceApp(rootModuleFactory(), options);
    const config = app.get<ServiceConfig>(SERVICE_CONFIG);
    await listenOnHosts(app, config.host, config.port, answerClientErrorsAsProblems);
    logger.log(`${name} listening on ${hostUrls(config.host, config.port).join(', ')}`);
    return app;
  } catch (e) {
    const message = e instanceof ConfigError ? e.message : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    logger.error(`${name} failed to start: ${message}`);
    process.exit(1);
  }
}
