import type { INestApplication, Type } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { ModulesContainer } from '@nestjs/core';
import type { ParameterObject, ReferenceObject, SchemaObject } from '@nestjs/swagger';

/** What Nest stores per handler argument under ROUTE_ARGS_METADATA (key `<paramtype>:<index>`). */
interface RouteArgument {
  readonly index: number;
  readonly data?: unknown;
  readonly pipes?: readonly unknown[];
}

const NOT_DTOS: readonly unknown[] = [Object, String, Number, Boolean, Array, Date, Promise];

function isDtoClass(value: unknown): value is Type<unknown> {
  return typeof value === 'function' && !NOT_DTOS.includes(value);
}

/** The operationId the documents use for a handler; also how a handler is found again from its operation. */
export function operationIdOf(controllerName: string, methodName: string): string {
  return `${controllerName}_${methodName}`;
}

/**
 * The DTO class of a handler's whole-query argument (`@Query() query: ListKeysQueryDto`), read from
 * Nest's route-argument metadata and the compiler's `design:paramtypes`; undefined when the handler
 * takes no such argument (`@Query('name')` ones name a single parameter and are documented as such).
 */
export function queryDtoOf(controller: Type<unknown>, methodName: string): Type<unknown> | undefined {
  const args = Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, methodName) as Record<string, RouteArgument> | undefined;
  if (!args) return undefined;
  const paramTypes = Reflect.getMetadata('design:paramtypes', controller.prototype as object, methodName) as readonly unknown[] | undefined;
  for (const [key, arg] of Object.entries(args)) {
    if (key.split(':', 1)[0] !== String(RouteParamtypes.QUERY) || arg.data !== undefined) continue;
    const type = paramTypes?.[arg.index];
    if (isDtoClass(type)) return type;
  }
  return undefined;
}

/** A pipe that states what its value must match (IdParamPipe): its `pattern` documents the parameter. */
function patternOf(pipe: unknown): RegExp | undefined {
  const pattern: unknown = pipe !== null && typeof pipe === 'object' ? (pipe as { pattern?: unknown }).pattern : undefined;
  return pattern instanceof RegExp ? pattern : undefined;
}

/** The patterns of a handler's path parameters (`@Param('keyId', keyIdPipe)`), by parameter name. */
export function pathPatternsOf(controller: Type<unknown>, methodName: string): Map<string, RegExp> {
  const out = new Map<string, RegExp>();
  const args = Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, methodName) as Record<string, RouteArgument> | undefined;
  for (const [key, arg] of Object.entries(args ?? {})) {
    if (key.split(':', 1)[0] !== String(RouteParamtypes.PARAM) || typeof arg.data !== 'string') continue;
    const pattern = (arg.pipes ?? []).map(patternOf).find((p) => p !== undefined);
    if (pattern) out.set(arg.data, pattern);
  }
  return out;
}

/** For each controller of the app, the path parameter patterns of each handler that has some, by operationId. */
export function pathPatternsByOperationId(controllers: Iterable<Type<unknown>>): Map<string, Map<string, RegExp>> {
  const out = new Map<string, Map<string, RegExp>>();
  for (const controller of controllers) {
    for (const name of methodNames(controller)) {
      const patterns = pathPatternsOf(controller, name);
      if (patterns.size > 0) out.set(operationIdOf(controller.name, name), patterns);
    }
  }
  return out;
}

/** Every method name of a controller class, its base classes' included. */
function methodNames(controller: Type<unknown>): string[] {
  const names = new Set<string>();
  for (let proto = controller.prototype as object | null; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name !== 'constructor' && typeof Object.getOwnPropertyDescriptor(proto, name)?.value === 'function') names.add(name);
    }
  }
  return [...names];
}

/** For each controller of the app, the query DTO of each handler that takes one, by operationId. */
export function queryDtosByOperationId(controllers: Iterable<Type<unknown>>): Map<string, Type<unknown>> {
  const out = new Map<string, Type<unknown>>();
  for (const controller of controllers) {
    for (const name of methodNames(controller)) {
      const dto = queryDtoOf(controller, name);
      if (dto) out.set(operationIdOf(controller.name, name), dto);
    }
  }
  return out;
}

/** The controller classes an application registered, from every module. */
export function controllersOf(app: INestApplication): Type<unknown>[] {
  const out: Type<unknown>[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      if (typeof wrapper.metatype === 'function') out.push(wrapper.metatype as Type<unknown>);
    }
  }
  return out;
}

/**
 * A query DTO's JSON schema (as class-validator-jsonschema derives it from the validation
 * decorators) turned into `in: query` parameters: one per property, required unless optional.
 */
export function queryParametersFromSchema(schema: SchemaObject): ParameterObject[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([name, property]: [string, SchemaObject | ReferenceObject]) => {
    if ('$ref' in property) return { name, in: 'query', required: required.has(name), schema: property };
    // A query value is never null (absent is absent): `nullable` is a body property's notion.
    const { description, nullable: _nullable, ...rest } = property;
    return { name, in: 'query', required: required.has(name), ...(description !== undefined ? { description } : {}), schema: rest };
  });
}

/** `extra` parameters appended to `existing`, skipping any already there (same name and location). */
export function mergeParameters(
  existing: readonly (ParameterObject | ReferenceObject)[],
  extra: readonly ParameterObject[],
): (ParameterObject | ReferenceObject)[] {
  const seen = new Set(existing.filter((p): p is ParameterObject => !('$ref' in p)).map((p) => `${p.in}:${p.name}`));
  return [...existing, ...extra.filter((p) => !seen.has(`${p.in}:${p.name}`))];
}
