import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject, OperationObject, ParameterObject, PathsObject, ReferenceObject, RequestBodyObject, SchemaObject } from '@nestjs/swagger';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ValidationTypes } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';
import type { ServiceName } from '@keyward/contracts';
import { SAFE_TEXT, safeTextPattern } from '@keyward/problem';
import { describeOperation } from './describe-operation';
import { apiTag, sharedComponents } from './openapi-components';
import { isPublicApiPath, operationsOf } from './openapi-paths';
import { controllersOf, mergeParameters, operationIdOf, pathPatternsByOperationId, queryDtosByOperationId, queryParametersFromSchema } from './query-parameters';
import { reachableSchemas } from './schema-refs';

/**
 * What the validation decorators mean in JSON schema, beyond class-validator-jsonschema's own
 * converters: @IsSafeText is a pattern (lone surrogates aside, which no pattern can say), and
 * @IsOptional lets null through as well as absence, so the property is nullable.
 */
const CONVERTERS = {
  [SAFE_TEXT]: (meta: ValidationMetadata) => ({ type: 'string' as const, pattern: safeTextPattern(meta.constraints[0] === true) }),
  [ValidationTypes.CONDITIONAL_VALIDATION]: (meta: ValidationMetadata) => (meta.name === 'isOptional' ? { nullable: true } : {}),
};

/** The validation pipe refuses unknown properties (forbidNonWhitelisted): so does every body schema. */
function closed(schemas: Record<string, SchemaObject>): Record<string, SchemaObject> {
  return Object.fromEntries(Object.entries(schemas).map(([name, schema]) => [name, schema.type === 'object' ? { ...schema, additionalProperties: false } : schema]));
}

const SCHEMA_REF = '#/components/schemas/';

/**
 * The operation as the services behave: a body is required only when its DTO has a required
 * property (an absent body validates as `{}`), and a path parameter checked by a pipe with a
 * pattern (IdParamPipe) carries that pattern.
 */
function asBehaving(operation: OperationObject, schemas: Readonly<Record<string, SchemaObject>>, pathPatterns: ReadonlyMap<string, RegExp> | undefined): OperationObject {
  let requestBody = operation.requestBody;
  if (requestBody && !('$ref' in requestBody)) {
    const ref = (requestBody.content['application/json']?.schema as ReferenceObject | undefined)?.$ref;
    const schema = ref?.startsWith(SCHEMA_REF) ? schemas[ref.slice(SCHEMA_REF.length)] : undefined;
    if (schema) requestBody = { ...requestBody, required: (schema.required?.length ?? 0) > 0 } satisfies RequestBodyObject;
  }
  const parameters = operation.parameters?.map((p): ParameterObject | ReferenceObject => {
    if ('$ref' in p || p.in !== 'path') return p;
    const pattern = pathPatterns?.get(p.name);
    return pattern ? { ...p, schema: { type: 'string', pattern: pattern.source } } : p;
  });
  return { ...operation, ...(requestBody ? { requestBody } : {}), ...(parameters ? { parameters } : {}) };
}

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
  const dtoSchemas = closed(validationMetadatasToSchemas({ refPointerPrefix: SCHEMA_REF, additionalConverters: CONVERTERS }) as Record<string, SchemaObject>);
  const controllers = controllersOf(app);
  const queryDtos = queryDtosByOperationId(controllers);
  const pathPatterns = pathPatternsByOperationId(controllers);

  const paths: PathsObject = {};
  for (const { path, method, operation } of operationsOf(generated.paths)) {
    if (!isPublicApiPath(path)) continue;
    const dto = operation.operationId !== undefined ? queryDtos.get(operation.operationId) : undefined;
    const querySchema = dto ? dtoSchemas[dto.name] : undefined;
    const withQuery = querySchema
      ? { ...operation, parameters: mergeParameters(operation.parameters ?? [], queryParametersFromSchema(querySchema)) }
      : operation;
    const completed = asBehaving(withQuery, dtoSchemas, operation.operationId !== undefined ? pathPatterns.get(operation.operationId) : undefined);
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
