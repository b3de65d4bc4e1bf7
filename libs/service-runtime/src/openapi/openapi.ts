import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject, PathsObject, SchemaObject } from '@nestjs/swagger';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';
import type { ServiceName } from '@keyward/contracts';
import { describeOperation } from './describe-operation';
import { apiTag, sharedComponents } from './openapi-components';
import { isPublicApiPath, operationsOf } from './openapi-paths';
import { controllersOf, mergeParameters, operationIdOf, queryDtosByOperationId, queryParametersFromSchema } from './query-parameters';
import { reachableSchemas } from './schema-refs';

/**
 * The OpenAPI 3 document of one service's public API (its /v1 routes), generated from its
 * controllers (paths, path parameters, the body DTO of each operation), its class-validator DTOs
 * (the schemas of bodies and the parameters of query DTOs, so the document states exactly what
 * validation accepts) and @RequirePermission (the `x-permission` of each operation, hence the
 * keys it accepts). Health, readiness, metrics and operator routes are not part of it.
 *
 * Call it once the app's routes exist (after NestFactory.create); the result does not change.
 */
export function buildServiceOpenApi(app: INestApplication, service: ServiceName): OpenAPIObject {
  const generated = SwaggerModule.createDocument(app, new DocumentBuilder().build(), { operationIdFactory: operationIdOf });
  const dtoSchemas = validationMetadatasToSchemas({ refPointerPrefix: '#/components/schemas/' }) as Record<string, SchemaObject>;
  const queryDtos = queryDtosByOperationId(controllersOf(app));

  const paths: PathsObject = {};
  for (const { path, method, operation } of operationsOf(generated.paths)) {
    if (!isPublicApiPath(path)) continue;
    const dto = operation.operationId !== undefined ? queryDtos.get(operation.operationId) : undefined;
    const querySchema = dto ? dtoSchemas[dto.name] : undefined;
    const completed = querySchema
      ? { ...operation, parameters: mergeParameters(operation.parameters ?? [], queryParametersFromSchema(querySchema)) }
      : operation;
    paths[path] = { ...paths[path], [method]: describeOperation(completed, { service, method, path }) };
  }

  const shared = sharedComponents();
  const tag = apiTag(service);
  return {
    openapi: generated.openapi,
    info: {
      title: `Keyward ${service} API`,
      version: '1',
      description: `The public operations the ${service} service answers. Through the edge, the whole API is at /openapi.json and /docs.`,
    },
    servers: [{ url: '/' }],
    tags: tag ? [tag] : [],
    paths,
    components: {
      securitySchemes: shared.securitySchemes ?? {},
      responses: shared.responses ?? {},
      schemas: reachableSchemas([paths, shared.responses], { ...generated.components?.schemas, ...dtoSchemas, ...shared.schemas }),
    },
  };
}
