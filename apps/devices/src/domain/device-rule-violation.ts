import type { RuleViolationKind } from '@keyward/contracts';
import { ruleViolationOf } from '@keyward/contracts';

/**
 * Every way a device command can be refused, with a stable code and the class of answer it gets:
 * `conflict` (409: the device's state forbids it), `invalid` (422: the command's own values are
 * wrong) or `not_found` (404). The problem+json filter maps the kind.
 */
export const DEVICE_RULE_CODES = {
  device_not_found: 'not_found',
  device_exists: 'conflict',
  device_removed: 'conflict',
  invalid_name: 'invalid',
  unsupported_os: 'invalid',
  invalid_hostname: 'invalid',
  invalid_tag: 'invalid',
  too_many_tags: 'invalid',
  invalid_owner_technician_id: 'invalid',
  unknown_technician: 'invalid',
  technician_deactivated: 'invalid',
  nothing_to_update: 'invalid',
} as const satisfies Record<string, RuleViolationKind>;

/** Thrown by the device rules and `decide`; the shared problem filter answers it by its kind and code. */
export const DeviceRuleViolation = ruleViolationOf('DeviceRuleViolation', DEVICE_RULE_CODES);
export type DeviceRuleViolation = InstanceType<typeof DeviceRuleViolation>;
