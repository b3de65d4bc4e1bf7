import 'reflect-metadata';
import { Body, Controller, Get, Module, Param, Post, Query } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { OperationObject, ParameterObject, ResponseObject, SchemaObject } from '@nestjs/swagger';
import { ApiExtension } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';
import type { RouteSpec } from '@keyward/contracts';
import { describeOperation, findRoute, operationFromRoute, securityFor } from './describe-operation';
import { buildServiceOpenApi } from './openapi';
import { isPublicApiPath, pathParameterNames, routeShape, toExpressPath, toOpenApiPath } from './openapi-paths';
import { mergeParameters, operationIdOf, queryDtoOf, queryDtosByOperationId, queryParametersFromSchema } from './query-parameters';
import { reachableSchemas, renameSchemaRefs, schemaRefsIn } from './schema-refs';
import type { OpenApiDocumentSource } from './serve-openapi';
import { OPENAPI_DOCUMENT, serveOpenApi } from './serve-openapi';
import { IsSafeText, ProblemError, safeTextPattern } from '@keyward/problem';
import { IdParamPipe } from '../http/id-param.pipe';

class WidgetQueryDto {
  @IsIn(['red', 'blue'])
  colour!: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(50)
  limit?: number;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

class CreateWidgetDto {
  @IsString()
  @MaxLength(80)
  @IsSafeText()
  name!: string;

  @IsOptional()
  @IsString()
  @IsSafeText({ multiline: true })
  note?: string;
}

@Controller('v1/widgets')
class WidgetsController {
  @Get()
  @ApiExtension('x-permission', 'devices:read')
  list(@Query() _query: WidgetQueryDto): string[] {
    return [];
  }

  @Get(':widgetId')
  @ApiExtension('x-permission', 'devices:read')
  get(@Param('widgetId', new IdParamPipe('wdg', 'widget')) widgetId: string, @Query('verbose') _verbose?: string): string {
    return widgetId;
  }

  @Post()
  @ApiExtension('x-permission', 'sessions:create')
  create(@Body() body: CreateWidgetDto): string {
    return body.name;
  }
}

@Controller()
class PlumbingController {
  @Get('health')
  health(): string {
    return 'ok';
  }

  @Get('admin/projections')
  projections(): string {
    return 'ok';
  }
}

@Module({ controllers: [WidgetsController, PlumbingController] })
class WidgetsModule {}

const ROUTES: readonly RouteSpec[] = [
  { method: 'GET', path: '/v1/widgets', service: 'devices', permission: 'devices:read', summary: 'List widgets' },
  { method: 'GET', path: '/v1/widgets/:id', service: 'devices', permission: 'devices:read', summary: 'Get a widget' },
  { method: 'POST', path: '/v1/widgets', service: 'devices', permission: 'sessions:create', summary: 'Create a widget' },
];

describe('path templates', () => {
  it('converts between the route table\'s and OpenAPI\'s notation', () => {
    expect(toOpenApiPath('/v1/keys/:keyId/events')).toBe('/v1/keys/{keyId}/events');
    expect(toExpressPath('/v1/keys/{keyId}/events')).toBe('/v1/keys/:keyId/events');
    expect(toExpressPath(toOpenApiPath('/v1/sessions/history'))).toBe('/v1/sessions/history');
  });

  it('gives routes that differ only in parameter names the same shape', () => {
    expect(routeShape('/v1/devices/{id}')).toBe(routeShape('/v1/devices/:deviceId'));
    expect(routeShape('/v1/sessions/history')).not.toBe(routeShape('/v1/sessions/:sessionId'));
    expect(pathParameterNames('/v1/a/:x/b/{y}')).toEqual(['x', 'y']);
  });

  it('counts only /v1 paths as the public API', () => {
    expect(['/v1/keys', '/v1', '/health', '/ready', '/metrics', '/admin/projections', '/v10/x'].filter(isPublicApiPath)).toEqual(['/v1/keys', '/v1']);
  });
});

describe('query parameters from query DTOs', () => {
  it('finds the DTO class of a handler\'s whole-query argument from Nest\'s route-argument metadata', () => {
    expect(queryDtoOf(WidgetsController, 'list')).toBe(WidgetQueryDto);
  });

  it('finds none for a handler with a single named query value or no query at all', () => {
    expect(queryDtoOf(WidgetsController, 'get')).toBeUndefined();
    expect(queryDtoOf(WidgetsController, 'create')).toBeUndefined();
    expect(queryDtoOf(PlumbingController, 'health')).toBeUndefined();
  });

  it('maps each handler taking a query DTO to it by operationId', () => {
    expect([...queryDtosByOperationId([WidgetsController, PlumbingController])]).toEqual([[operationIdOf('WidgetsController', 'list'), WidgetQueryDto]]);
  });

  it('turns the DTO\'s validation schema into query parameters, required unless optional', () => {
    const schema = validationMetadatasToSchemas()['WidgetQueryDto'] as SchemaObject;
    expect(queryParametersFromSchema(schema)).toEqual([
      { name: 'colour', in: 'query', required: true, schema: { type: 'string', enum: ['red', 'blue'] } },
      { name: 'limit', in: 'query', required: false, schema: expect.objectContaining({ type: 'integer', minimum: 1, maximum: 50 }) },
      { name: 'cursor', in: 'query', required: false, schema: expect.objectContaining({ type: 'string', maxLength: 200 }) },
    ]);
  });

  it('keeps a parameter already documented instead of adding it twice', () => {
    const existing: ParameterObject[] = [{ name: 'limit', in: 'query', description: 'kept' }];
    const merged = mergeParameters(existing, [{ name: 'limit', in: 'query' }, { name: 'limit', in: 'header' }, { name: 'cursor', in: 'query' }]);
    expect(merged).toEqual([{ name: 'limit', in: 'query', description: 'kept' }, { name: 'limit', in: 'header' }, { name: 'cursor', in: 'query' }]);
  });
});

describe('describing an operation', () => {
  it('accepts public and private keys for a public-safe permission, only private keys otherwise', () => {
    expect(securityFor('sessions:create')).toEqual([{ publicKey: [] }, { privateKey: [] }]);
    expect(securityFor('tickets:create')).toEqual([{ publicKey: [] }, { privateKey: [] }]);
    expect(securityFor('sessions:history:read')).toEqual([{ privateKey: [] }]);
    expect(securityFor('keys:manage')).toEqual([{ privateKey: [] }]);
  });

  it('finds the route-table entry by method and path shape, whatever the parameter is called', () => {
    expect(findRoute('get', '/v1/keys/{id}')?.summary).toBe('Get a key');
    expect(findRoute('get', '/v1/sessions/history')?.permission).toBe('sessions:history:read');
    expect(findRoute('delete', '/v1/keys')).toBeUndefined();
  });

  it('adds the route table\'s summary, the API tag, the keys, the permission in words and the problem answers', () => {
    const operation: OperationObject & { 'x-permission': 'devices:read' } = {
      operationId: 'X_get',
      parameters: [{ name: 'id', in: 'path', required: true }],
      responses: { 200: { description: '' } },
      'x-permission': 'devices:read',
    };
    const described = describeOperation(operation, { service: 'devices', method: 'get', path: '/v1/widgets/{id}', routes: ROUTES });
    expect(described).toMatchObject({
      summary: 'Get a widget',
      tags: ['Devices'],
      security: [{ privateKey: [] }],
      description: expect.stringContaining('`devices:read`'),
      'x-permission': 'devices:read',
    });
    expect(described.responses).toEqual({
      200: { description: 'OK' },
      400: { $ref: '#/components/responses/BadRequest' },
      401: { $ref: '#/components/responses/Unauthorized' },
      403: { $ref: '#/components/responses/Forbidden' },
      404: { $ref: '#/components/responses/NotFound' },
      429: { $ref: '#/components/responses/TooManyAuthFailures' },
      431: { $ref: '#/components/responses/HeadersTooLarge' },
      503: { $ref: '#/components/responses/ServiceUnavailable' },
    });
  });

  it('gives a body 408, 413 and 415, a write 409 and 422, a path parameter 404, and every operation 400, 429, 431 and 503', () => {
    const command = describeOperation({ requestBody: { content: {} }, responses: { 201: { description: '' } }, 'x-permission': 'devices:write' },
      { service: 'devices', method: 'post', path: '/v1/widgets', routes: ROUTES });
    expect(Object.keys(command.responses)).toEqual(['201', '400', '401', '403', '408', '409', '413', '415', '422', '429', '431', '503']);
    const change = describeOperation({ responses: { 200: { description: '' } }, 'x-permission': 'devices:write' },
      { service: 'devices', method: 'delete', path: '/v1/widgets/{id}', routes: ROUTES });
    expect(Object.keys(change.responses)).toEqual(['200', '400', '401', '403', '404', '409', '422', '429', '431', '503']);
    const list = describeOperation({ responses: { 200: { description: '' } }, 'x-permission': 'devices:read' },
      { service: 'devices', method: 'get', path: '/v1/widgets', routes: ROUTES });
    expect(Object.keys(list.responses)).toEqual(['200', '400', '401', '403', '429', '431', '503']);
  });

  it('lists an operation\'s own problem codes (DocumentProblems) with their status, and the shared codes too', () => {
    const described = describeOperation({ responses: { 200: { description: '' } }, 'x-permission': 'devices:read', 'x-keyward-problem-codes': { 422: ['invalid_date_range'], 503: ['references_unavailable'] } },
      { service: 'devices', method: 'get', path: '/v1/widgets', routes: ROUTES });
    expect(described).not.toHaveProperty('x-keyward-problem-codes');
    const unprocessable = described.responses['422'] as ResponseObject;
    expect(unprocessable.description).toMatch(/`invalid_text`, `invalid_date_range`$/);
    expect(unprocessable.content?.['application/problem+json']).toEqual({ schema: { $ref: '#/components/schemas/Problem' } });
    const unavailable = described.responses['503'] as ResponseObject;
    expect(unavailable.description).toContain('`authorization_unavailable`, `database_unavailable`, `overloaded`, `references_unavailable`');
    expect(unavailable.headers).toHaveProperty('Retry-After');
  });

  it('documents a route-table entry alone with its path parameters, permission and keys', () => {
    const { path, method, operation } = operationFromRoute(
      { method: 'POST', path: '/v1/sessions/:sessionId/end', service: 'sessions', permission: 'sessions:write', summary: 'End a session' }, 'from the table');
    expect({ path, method }).toEqual({ path: '/v1/sessions/{sessionId}/end', method: 'post' });
    expect(operation).toMatchObject({
      summary: 'End a session',
      tags: ['Sessions'],
      'x-permission': 'sessions:write',
      security: [{ privateKey: [] }],
      parameters: [{ name: 'sessionId', in: 'path', required: true, schema: { type: 'string' } }],
      description: expect.stringContaining('from the table'),
    });
  });
});

describe('schema references', () => {
  const schemas: Record<string, SchemaObject> = {
    A: { type: 'object', properties: { b: { $ref: '#/components/schemas/B' } } as SchemaObject['properties'] },
    B: { type: 'string' },
    Unused: { type: 'object' },
  };

  it('keeps only the schemas reachable from the roots, following references between schemas', () => {
    expect(Object.keys(reachableSchemas([{ schema: { $ref: '#/components/schemas/A' } }], schemas))).toEqual(['A', 'B']);
    expect(reachableSchemas([], schemas)).toEqual({});
  });

  it('renames references without touching the original', () => {
    const document = { paths: { x: { $ref: '#/components/schemas/B' } }, other: { $ref: '#/components/responses/B' } };
    const renamed = renameSchemaRefs(document, new Map([['B', 'KeysB']]));
    expect(renamed).toEqual({ paths: { x: { $ref: '#/components/schemas/KeysB' } }, other: { $ref: '#/components/responses/B' } });
    expect([...schemaRefsIn(document)]).toEqual(['B']);
  });
});

describe('buildServiceOpenApi', () => {
  it('documents the /v1 routes only, with query DTO parameters, body schemas, permissions and keys', async () => {
    const app = await NestFactory.create(WidgetsModule, { logger: false });
    try {
      const document = buildServiceOpenApi(app, 'devices');
      expect(Object.keys(document.paths)).toEqual(['/v1/widgets', '/v1/widgets/{widgetId}']);
      const list = document.paths['/v1/widgets']?.get;
      expect(list?.parameters?.map((p) => ('$ref' in p ? p.$ref : `${p.in}:${p.name}:${String(p.required)}`)))
        .toEqual(['query:colour:true', 'query:limit:false', 'query:cursor:false']);
      expect(list).toMatchObject({ 'x-permission': 'devices:read', security: [{ privateKey: [] }], tags: ['Devices'] });
      const create = document.paths['/v1/widgets']?.post;
      expect(create).toMatchObject({
        security: [{ publicKey: [] }, { privateKey: [] }],
        requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/CreateWidgetDto' } } } },
        responses: { 201: { description: 'Created' }, 422: { $ref: '#/components/responses/UnprocessableEntity' } },
      });
      const get = document.paths['/v1/widgets/{widgetId}']?.get;
      expect(get?.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'widgetId', in: 'path' }), expect.objectContaining({ name: 'verbose', in: 'query' })]));
      // Only what the operations use: the query DTO became parameters, other DTOs are not listed.
      expect(Object.keys(document.components?.schemas ?? {}).sort()).toEqual(['CreateWidgetDto', 'Problem']);
      // As the validation pipe behaves: unknown properties refused, safe text, optional means nullable too.
      expect(document.components?.schemas?.['CreateWidgetDto']).toEqual({
        type: 'object',
        required: ['name'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', maxLength: 80, pattern: safeTextPattern(false) },
          note: { type: 'string', pattern: safeTextPattern(true), nullable: true },
        },
      });
      expect(create?.requestBody).toMatchObject({ required: true });
      expect(get?.parameters).toEqual(expect.arrayContaining([{ name: 'widgetId', in: 'path', required: true, schema: { type: 'string', pattern: '^wdg_[A-Za-z0-9_]{4,64}$' } }]));
      expect(Object.keys(document.components?.securitySchemes ?? {})).toEqual(['publicKey', 'privateKey']);
    } finally {
      await app.close();
    }
  });
});

describe('GET /openapi.json', () => {
  async function serve(module: new () => unknown): Promise<{ url: string; close(): Promise<void> }> {
    const app = await NestFactory.create<NestExpressApplication>(module, { logger: false });
    serveOpenApi(app, 'devices');
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as { port: number };
    return { url: `http://127.0.0.1:${port}/openapi.json`, close: () => app.close() };
  }

  it('answers the service\'s own document, made once its routes exist', async () => {
    const server = await serve(WidgetsModule);
    try {
      const res = await fetch(server.url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const body = await res.json() as { paths: Record<string, unknown> };
      expect(Object.keys(body.paths)).toEqual(['/v1/widgets', '/v1/widgets/{widgetId}']);
    } finally {
      await server.close();
    }
  });

  it('answers what an OPENAPI_DOCUMENT provider gives instead, and its problem when it fails', async () => {
    let fail = false;
    const source: OpenApiDocumentSource = {
      document: async () => {
        if (fail) throw new ProblemError(503, 'openapi_unavailable', 'OpenAPI document unavailable', 'devices is down');
        return { openapi: '3.0.0', info: { title: 'provided', version: '1' }, paths: {} };
      },
    };
    @Module({ controllers: [WidgetsController], providers: [{ provide: OPENAPI_DOCUMENT, useValue: source }] })
    class ProvidedModule {}
    const server = await serve(ProvidedModule);
    try {
      expect(await (await fetch(server.url)).json()).toMatchObject({ info: { title: 'provided' } });
      fail = true;
      const res = await fetch(server.url);
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await res.json()).toMatchObject({ code: 'openapi_unavailable', detail: 'devices is down', instance: '/openapi.json' });
    } finally {
      await server.close();
    }
  });
});
