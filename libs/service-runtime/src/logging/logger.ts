import type { LoggerService } from '@nestjs/common';
import { Logger as NestPinoLogger, PinoLogger } from 'nestjs-pino';
import type { DestinationStream, Logger as Pino, LoggerOptions } from 'pino';
import pino from 'pino';
import type { ServiceConfig } from '@keyward/config';

/**
 * Where a credential can sit in something logged. Nothing in Keyward logs headers or bodies
 * today; this is the net under a future `logger.info({ req })`, `{ headers }` or a logged DTO.
 * Exact paths only: pino's `*.x` wildcards cost about 20 µs on every line (measured), which the
 * access line of every request would pay. The edge's signature headers are named here literally
 * (libs/key-auth depends on this lib, not the reverse).
 */
export const REDACTED_PATHS: readonly string[] = [
  'req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers["x-edge-signature"]', 'req.headers.cookie',
  'headers.authorization', 'headers["x-api-key"]', 'headers["x-edge-signature"]', 'headers.cookie',
  'authorization', 'secret', 'token', 'password', 'edgeSigningSecret', 'operatorTokens',
  'key.secret', 'body.secret', 'config.edgeSigningSecret', 'config.operatorTokens',
];

export interface LogSettings extends Pick<ServiceConfig, 'instanceId' | 'logLevel' | 'logFormat'> {
  readonly service: string;
}

/**
 * The process's pino logger: one JSON object per line with `service` and `instance` on every line,
 * ISO time and the level as a word; pretty (pino-pretty, a dev dependency) only when
 * LOG_FORMAT=pretty asks for it.
 */
export function createRootLogger(settings: LogSettings, destination?: DestinationStream): Pino {
  const options: LoggerOptions = {
    level: settings.logLevel,
    base: { service: settings.service, instance: settings.instanceId },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
  };
  if (settings.logFormat === 'pretty') {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: false, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } });
  }
  return destination ? pino(options, destination) : pino(options);
}

/**
 * Nest's logger on top of it (nestjs-pino): every `new Logger(context).log(...)` in the code base
 * becomes a pino line with `context`, and inside a request also its `reqId` and `correlationId`
 * (request-logging.ts binds the request's child logger in nestjs-pino's async-local storage).
 */
export function nestLoggerFor(root: Pino): LoggerService {
  return new NestPinoLogger(new PinoLogger({ pinoHttp: { logger: root } }), {});
}
