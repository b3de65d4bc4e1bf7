import 'reflect-metadata';
import type { DynamicModule, INestApplication, LogLevel, Type } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { ServiceConfig } from '@keyward/config';
import { ConfigError } from '@keyward/config';
import { createValidationPipe, ProblemFilter } from '@keyward/problem';
import { SERVICE_CONFIG } from './tokens';

const LEVELS: Record<ServiceConfig['logLevel'], LogLevel[]> = {
  debug: ['debug', 'log', 'warn', 'error', 'fatal'],
  info: ['log', 'warn', 'error', 'fatal'],
  warn: ['warn', 'error', 'fatal'],
  error: ['error', 'fatal'],
};

/** Applies what every service's HTTP layer has: body limit, validation, problem+json errors. */
export function configureHttp(app: NestExpressApplication, config: ServiceConfig): void {
  app.useBodyParser('json', { limit: config.bodyLimitBytes });
  app.useGlobalFilters(new ProblemFilter());
  app.useGlobalPipes(createValidationPipe());
  app.disable('x-powered-by');
  app.enableShutdownHooks();
}

/** Creates a service's Nest application with the shared HTTP set-up, without listening. */
export type RootModule = Type<unknown> | DynamicModule;

export async function createServiceApp(rootModule: RootModule): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(rootModule, {
    bodyParser: false,
    bufferLogs: true,
    logger: LEVELS[(process.env['LOG_LEVEL'] as ServiceConfig['logLevel']) ?? 'info'] ?? LEVELS.info,
  });
  configureHttp(app, app.get<ServiceConfig>(SERVICE_CONFIG));
  return app;
}

/**
 * The main() of every service: create, listen, log where, stop cleanly on SIGINT/SIGTERM.
 * A configuration or start-up failure is printed as one clear line and exits with status 1.
 */
export async function runService(name: string, rootModuleFactory: () => RootModule): Promise<INestApplication> {
  const logger = new Logger(name);
  try {
    const app = await createServiceApp(rootModuleFactory());
    const config = app.get<ServiceConfig>(SERVICE_CONFIG);
    await app.listen(config.port, config.host);
    logger.log(`${name} listening on http://${config.host}:${config.port}`);
    return app;
  } catch (e) {
    const message = e instanceof ConfigError ? e.message : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    logger.error(`${name} failed to start: ${message}`);
    process.exit(1);
  }
}
