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

/** A RuleViolation of one domain: its code is one of that domain's codes. */
export interface DomainRuleViolation<Code extends string> extends RuleViolation {
  readonly code: Code;
}

/** The class `ruleViolationOf` makes: `new` it with a code of the table, `instanceof` it to catch only this domain's. */
export interface DomainRuleViolationClass<Code extends string> {
  new (code: Code, message: string, details?: Readonly<Record<string, unknown>>): DomainRuleViolation<Code>;
  readonly prototype: DomainRuleViolation<Code>;
}

/**
 * A domain's RuleViolation class from its table of codes, each with its kind (checked with
 * `satisfies Record<string, RuleViolationKind>`), so the kind of a code is written once, in the
 * table, and no domain repeats the constructor. Export the result as a value and its instance as a
 * type of the same name:
 *   export const DeviceRuleViolation = ruleViolationOf('DeviceRuleViolation', DEVICE_RULE_CODES);
 *   export type DeviceRuleViolation = InstanceType<typeof DeviceRuleViolation>;
 */
export function ruleViolationOf<Code extends string>(name: string, codes: Readonly<Record<Code, RuleViolationKind>>): DomainRuleViolationClass<Code> {
  return class extends RuleViolation {
    override readonly name: string = name;
    declare readonly code: Code;

    constructor(code: Code, message: string, details?: Readonly<Record<string, unknown>>) {
      super(code, codes[code], message, details);
    }
  };
}
