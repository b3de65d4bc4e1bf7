import type { INestApplication } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { Express, Request, Response } from 'express';
import type { ServiceName } from '@keyward/contracts';
import { PROBLEM_CONTENT_TYPE, ProblemError } from '@keyward/problem';
import { buildServiceOpenApi } from './openapi';

/**
 * Where an app gets the document it serves at GET /openapi.json. Unset, a service serves its own
 * (built from its controllers); an app that documents something else (the edge: the merged
 * document of every service) provides this token.
 */
export const OPENAPI_DOCUMENT = Symbol('OpenApiDocumentSource');

export interface OpenApiDocumentSource {
  document(): Promise<OpenAPIObject>;
}

export const OPENAPI_PATH = '/openapi.json';

/**
 * The app's OPENAPI_DOCUMENT provider, if a module has one. Looked up in the module container
 * rather than with app.get(), which treats an unknown token as a fatal error and ends the process.
 */
function providedSource(app: INestApplication): OpenApiDocumentSource | undefined {
  for (const module of app.get(ModulesContainer).values()) {
    const instance: unknown = module.providers.get(OPENAPI_DOCUMENT)?.instance;
    if (instance !== null && typeof instance === 'object' && typeof (instance as Partial<OpenApiDocumentSource>).document === 'function') {
      return instance as OpenApiDocumentSource;
    }
  }
  return undefined;
}

/**
 * Registers GET /openapi.json on the app's HTTP server. The document is made on the first request,
 * when every controller's route exists, and then kept (a service's routes do not change while it
 * runs); an OPENAPI_DOCUMENT provider, when the app has one, is asked on every request instead
 * (it does its own caching). Unauthenticated, like /health: the document holds no secrets.
 */
export function serveOpenApi(app: NestExpressApplication, service: ServiceName): void {
  const logger = new Logger('OpenAPI');
  let source: OpenApiDocumentSource | undefined;
  const documentSource = (): OpenApiDocumentSource => {
    if (source) return source;
    const provided = providedSource(app);
    if (provided) {
      source = provided;
    } else {
      let own: Promise<OpenAPIObject> | undefined;
      const build = async (): Promise<OpenAPIObject> => buildServiceOpenApi(app, service);
      // A failed build is not kept: the next request tries again.
      source = { document: () => (own ??= build().catch((e: unknown) => { own = undefined; throw e; })) };
    }
    return source;
  };

  const express: Express = app.getHttpAdapter().getInstance();
  express.get(OPENAPI_PATH, (req: Request, res: Response) => {
    res.locals['route'] = OPENAPI_PATH;
    Promise.resolve().then(() => documentSource().document()).then((document) => {
      res.status(200).set({ 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache' }).send(JSON.stringify(document));
    }, (e: unknown) => {
      const problem = e instanceof ProblemError
        ? e
        : new ProblemError(503, 'openapi_unavailable', 'OpenAPI document unavailable', 'the OpenAPI document could not be made; retry shortly');
      if (!(e instanceof ProblemError)) logger.error(`cannot make the OpenAPI document: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      res.status(problem.status).set({ 'content-type': PROBLEM_CONTENT_TYPE, 'cache-control': 'no-store' }).send(JSON.stringify(problem.toProblem(req.path)));
    });
  });
}
