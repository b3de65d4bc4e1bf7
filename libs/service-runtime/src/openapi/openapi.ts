import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';

/**
 * The OpenAPI 3 document of one service, generated from its controllers (paths, parameters,
 * the body DTO of each operation) and its class-validator DTOs (the schemas, so the document
 * states exactly what the validation accepts).
 */
export function buildServiceOpenApi(app: INestApplication, service: string): OpenAPIObject {
  const document = SwaggerModule.createDocument(app, new DocumentBuilder()
    .setTitle(`Keyward ${service} API`)
    .setVersion('1')
    .build());
  const schemas = validationMetadatasToSchemas({ refPointerPrefix: '#/components/schemas/' }) as Record<string, object>;
  document.components = { ...document.components, schemas: { ...(document.components?.schemas ?? {}), ...schemas } };
  return document;
}
