/**
 * A command refused by a domain rule, with a stable code clients can branch on. Domains throw it
 * (or a subclass) without knowing HTTP; the problem+json filter answers `conflict` with 409
 * (the entity's state forbids it), `invalid` with 422 (the command's values are wrong),
 * `not_found` with 404 and `forbidden` with 403 (the caller may not do this to this entity).
 */
export type RuleViolationKind = 'conflict' | 'invalid' | 'not_found' | 'forbidden';

export class RuleViolation extends Error {
  override readonly name: string = 'RuleViolation';

  constructor(
    readonly code: string,
    readonly kind: RuleViolationKind,
    message: string,
    /** Machine-readable specifics (the offending entries, the latest allowed instant, ...). */
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}
