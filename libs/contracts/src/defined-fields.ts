/**
 * `fields` with the undefined ones left out, typed so: a field that may be undefined becomes
 * optional and never undefined. For passing a request's optional values on under
 * `exactOptionalPropertyTypes` (absent and undefined are different there), instead of one
 * `...(x !== undefined ? { x } : {})` per field.
 */
export type DefinedFields<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

export function definedFields<T extends object>(fields: T): DefinedFields<T> {
  const out: { [key: string]: unknown } = {};
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key] = value;
  // What the loop built is exactly DefinedFields<T> (the defined fields, unchanged); the mapped
  // type's key remapping is beyond what TypeScript can follow through a loop.
  return out as DefinedFields<T>;
}
