/**
 * Small typed guards for what arrives from outside the process (a Kafka message is as untrusted as
 * an HTTP body): each `Schema<T>` answers undefined when a value is a T, or why it is not, naming
 * the first bad field. Hand-written rather than a schema library: contracts stays dependency-free,
 * and the event registry type-checks every schema against the event's data type (a schema that
 * forgets a required field does not compile).
 */
export interface Schema<T> {
  readonly check: (value: unknown, path: string) => string | undefined;
  /** Set only by `optional()`: the field may be absent. */
  readonly optional?: boolean;
  /** Never set; carries T so a schema of a subtype is assignable where T is expected. */
  readonly __type?: T;
}

export interface OptionalSchema<T> extends Schema<T> {
  readonly optional: true;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

type Shape = Readonly<Record<string, Schema<unknown>>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends OptionalSchema<unknown> ? K : never }[keyof S];
type RequiredKeys<S extends Shape> = Exclude<keyof S, OptionalKeys<S>>;
export type ObjectOf<S extends Shape> = { readonly [K in RequiredKeys<S>]: Infer<S[K]> } & { readonly [K in OptionalKeys<S>]?: Infer<S[K]> };

/** Longest text accepted in an event field: far above any real value, far below a memory problem. */
const MAX_TEXT = 64 * 1024;

export function text(options: { readonly min?: number; readonly max?: number; readonly pattern?: RegExp } = {}): Schema<string> {
  const min = options.min ?? 0;
  const max = options.max ?? MAX_TEXT;
  return {
    check: (v, path) => {
      if (typeof v !== 'string') return `${path} must be a string`;
      if (v.length < min) return `${path} must have at least ${min} characters`;
      if (v.length > max) return `${path} must have at most ${max} characters`;
      if (options.pattern && !options.pattern.test(v)) return `${path} does not have the expected form`;
      return undefined;
    },
  };
}

/** A non-empty string. */
export const nonEmpty: Schema<string> = text({ min: 1 });

/** An ISO-8601 date-time (`2026-03-01T10:00:00.000Z`) that parses to a real time. */
export const isoDateTime: Schema<string> = {
  check: (v, path) =>
    typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(v) && v.length <= 40 && !Number.isNaN(Date.parse(v))
      ? undefined
      : `${path} must be an ISO-8601 date-time`,
};

export function oneOf<T extends string>(values: readonly T[]): Schema<T> {
  const allowed = new Set<string>(values);
  return { check: (v, path) => (typeof v === 'string' && allowed.has(v) ? undefined : `${path} must be one of ${values.join(', ')}`) };
}

/** A value the given type guard accepts (e.g. `isPermission`). */
export function guarded<T>(is: (v: unknown) => v is T, what: string): Schema<T> {
  return { check: (v, path) => (is(v) ? undefined : `${path} must be ${what}`) };
}

export function integer(min: number, max: number = Number.MAX_SAFE_INTEGER): Schema<number> {
  return {
    check: (v, path) => (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? undefined : `${path} must be an integer from ${min} to ${max}`),
  };
}

export function arrayOf<T>(item: Schema<T>, maxItems = 1000): Schema<readonly T[]> {
  return {
    check: (v, path) => {
      if (!Array.isArray(v)) return `${path} must be an array`;
      if (v.length > maxItems) return `${path} must have at most ${maxItems} items`;
      for (let i = 0; i < v.length; i++) {
        const problem = item.check(v[i], `${path}[${i}]`);
        if (problem) return problem;
      }
      return undefined;
    },
  };
}

export function nullable<T>(inner: Schema<T>): Schema<T | null> {
  return { check: (v, path) => (v === null ? undefined : inner.check(v, path)) };
}

export function optional<T>(inner: Schema<T>): OptionalSchema<T> {
  return { optional: true, check: (v, path) => (v === undefined ? undefined : inner.check(v, path)) };
}

/**
 * A plain object with these fields. Fields it does not name are allowed: schemas only grow, and a
 * field added within a schemaVersion is one an older reader may ignore.
 */
export function object<S extends Shape>(shape: S): Schema<ObjectOf<S>> {
  const fields = Object.entries(shape);
  return {
    check: (v, path) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${path} must be an object`;
      for (const [name, schema] of fields) {
        const value: unknown = Object.prototype.hasOwnProperty.call(v, name) ? (v as Record<string, unknown>)[name] : undefined;
        if (value === undefined && !schema.optional) return `${path}.${name} is required`;
        const problem = schema.check(value, `${path}.${name}`);
        if (problem) return problem;
      }
      return undefined;
    },
  };
}

/** Whether `value` is a T by `schema` (narrows). */
export function conforms<T>(schema: Schema<T>, value: unknown): value is T {
  return schema.check(value, '$') === undefined;
}
