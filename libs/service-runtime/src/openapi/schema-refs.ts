import type { ReferenceObject, SchemaObject } from '@nestjs/swagger';

const SCHEMA_REF = '#/components/schemas/';

/** The schema names a JSON value refers to (`$ref: '#/components/schemas/<name>'`), anywhere in it. */
export function schemaRefsIn(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) schemaRefsIn(item, into);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$ref' && typeof inner === 'string' && inner.startsWith(SCHEMA_REF)) into.add(inner.slice(SCHEMA_REF.length));
      else schemaRefsIn(inner, into);
    }
  }
  return into;
}

/**
 * Only the schemas reachable from `roots` (the paths and shared responses), following references
 * between schemas: class-validator knows every DTO the process loaded, operator ones included,
 * and a document should hold only what its operations use.
 */
export function reachableSchemas(
  roots: readonly unknown[],
  schemas: Readonly<Record<string, SchemaObject | ReferenceObject>>,
): Record<string, SchemaObject | ReferenceObject> {
  const pending = [...schemaRefsIn(roots)];
  const out: Record<string, SchemaObject | ReferenceObject> = {};
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    const schema = schemas[name];
    if (schema === undefined || name in out) continue;
    out[name] = schema;
    pending.push(...schemaRefsIn(schema));
  }
  return Object.fromEntries(Object.keys(schemas).filter((n) => n in out).map((n) => [n, out[n] as SchemaObject | ReferenceObject]));
}

/** A deep copy of `value` with the schema references in `renames` pointed at their new names. */
export function renameSchemaRefs<T>(value: T, renames: ReadonlyMap<string, string>): T {
  if (renames.size === 0) return value;
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(Object.entries(v).map(([key, inner]) => {
      if (key === '$ref' && typeof inner === 'string' && inner.startsWith(SCHEMA_REF)) {
        const renamed = renames.get(inner.slice(SCHEMA_REF.length));
        return [key, renamed !== undefined ? SCHEMA_REF + renamed : inner];
      }
      return [key, walk(inner)];
    }));
  };
  return walk(value) as T;
}
